// Generated from docs/asyncapi.yaml by web/scripts/frame-types.mjs (json-schema-to-typescript); do not edit.

export type MemberJoined = Member & {
  role: "admin" | "moderator" | "member";
};
export type MemberRemoved = Member & {
  banned: boolean;
};
export type RoleChanged = Member & {
  role: "admin" | "moderator" | "member";
  oldRole: "admin" | "moderator" | "member";
};

/**
 * Every frame the server sends, by its event name.
 */
export interface ServerFrames {
  ack: {
    event: "ack";
    /**
     * Chosen by the client; repeated in the server's answer to that frame.
     */
    ref: string | number;
    data: {
      /**
       * Chosen by the client; repeated in the server's answer to that frame.
       */
      ref: string | number;
    };
  };
  "checkin-created": OwnCheckInFrame;
  "checkin-deleted": OwnCheckInFrame;
  "checkin-updated": OwnCheckInFrame;
  connected: {
    event: "connected";
    data: {
      userId: string;
      /**
       * This socket's session row id.
       */
      sessionId: string;
      serverTime: string;
      /**
       * A decimal integer as a string, increasing per user.
       */
      cursor: string;
    };
  };
  error: {
    event: "error";
    /**
     * Chosen by the client; repeated in the server's answer to that frame.
     */
    ref?: string | number;
    data: {
      /**
       * The refused frame's `ref`, or null.
       */
      ref: (string | number) | null;
      /**
       * `MALFORMED_FRAME` not JSON text; `INVALID_FRAME` not an object with a string `event`, or a `ref` that is neither string nor number; `UNKNOWN_EVENT` an event the server does not take; `VALIDATION_ERROR` `data` is not an object or a field is wrong; `NOT_FOUND` not a member of that group; `NOT_JOINED` typing in a group not joined; `RATE_LIMITED` over the frame budget; `TOKEN_INVALID` a renewal token is bad; `PERMISSION_DENIED` a renewal token of another user; `SERVICE_UNAVAILABLE` Redis is unreachable; `INTERNAL_ERROR` a server fault.
       */
      code:
        | "MALFORMED_FRAME"
        | "INVALID_FRAME"
        | "UNKNOWN_EVENT"
        | "VALIDATION_ERROR"
        | "NOT_FOUND"
        | "NOT_JOINED"
        | "RATE_LIMITED"
        | "TOKEN_INVALID"
        | "PERMISSION_DENIED"
        | "SERVICE_UNAVAILABLE"
        | "INTERNAL_ERROR";
      message: string;
    };
  };
  "friend-checked-in": {
    event: "friend-checked-in";
    /**
     * A decimal integer as a string, increasing per user.
     */
    cursor: string;
    data: {
      userId: string;
      username: string;
      groupId: string;
      checkInId: string;
      huCaresScore: number | null;
      timestamp: string;
      updated: boolean;
    };
  };
  "friend-checkin-deleted": {
    event: "friend-checkin-deleted";
    /**
     * A decimal integer as a string, increasing per user.
     */
    cursor: string;
    data: {
      userId: string;
      groupId: string;
      checkInId: string;
    };
  };
  "group-joined": {
    event: "group-joined";
    /**
     * Chosen by the client; repeated in the server's answer to that frame.
     */
    ref?: string | number;
    data: {
      groupId: string;
      onlineUserIds: string[];
    };
  };
  "group-updated": {
    event: "group-updated";
    /**
     * A decimal integer as a string, increasing per user.
     */
    cursor: string;
    data: {
      groupId: string;
      type: "member-joined" | "member-left" | "member-removed" | "role-changed" | "settings-changed" | "group-deleted";
      data: MemberJoined | MemberLeft | MemberRemoved | RoleChanged | SettingsChanged | GroupDeleted;
    };
  };
  "heartbeat-ack": {
    event: "heartbeat-ack";
    /**
     * Chosen by the client; repeated in the server's answer to that frame.
     */
    ref?: string | number;
    data: {
      serverTime: string;
    };
  };
  notification: {
    event: "notification";
    /**
     * A decimal integer as a string, increasing per user.
     */
    cursor: string;
    data: {
      id: string;
      type:
        | "friend_check_in"
        | "group_invitation"
        | "member_joined"
        | "member_left"
        | "role_changed"
        | "group_deleted"
        | "weekly_reminder";
      title: string;
      message: string;
      /**
       * The ids the client needs to link the notification (e.g. `groupId`, `checkInId`).
       */
      data: {};
      createdAt: string;
    };
  };
  "notification-deleted": NotificationIdFrame;
  "notification-read": NotificationIdFrame;
  "notifications-read-all": {
    event: "notifications-read-all";
    /**
     * A decimal integer as a string, increasing per user.
     */
    cursor: string;
    data: {
      readAt: string;
    };
  };
  "profile-updated": {
    event: "profile-updated";
    /**
     * A decimal integer as a string, increasing per user.
     */
    cursor: string;
    data: {
      changed: string[];
    };
  };
  "resync-required": {
    event: "resync-required";
    data: {
      /**
       * A decimal integer as a string, increasing per user.
       */
      cursor: string;
    };
  };
  "user-offline": {
    event: "user-offline";
    data: {
      userId: string;
    };
  };
  "user-online": {
    event: "user-online";
    data: {
      userId: string;
    };
  };
  "user-typing": {
    event: "user-typing";
    data: {
      groupId: string;
      userId: string;
      username: string;
      isTyping: boolean;
    };
  };
}
export interface OwnCheckInFrame {
  event: "checkin-created" | "checkin-updated" | "checkin-deleted";
  /**
   * A decimal integer as a string, increasing per user.
   */
  cursor: string;
  data: {
    checkInId: string;
    groupId: string;
    weekStartDate: string;
    /**
     * Absent on `checkin-deleted`.
     */
    huCaresScore?: number;
  };
}
export interface Member {
  userId: string;
  username: string;
}
export interface MemberLeft {
  userId: string;
  username: string;
}
export interface SettingsChanged {
  changed: string[];
}
export interface GroupDeleted {
  groupName: string;
}
export interface NotificationIdFrame {
  event: "notification-read" | "notification-deleted";
  /**
   * A decimal integer as a string, increasing per user.
   */
  cursor: string;
  data: {
    id: string;
  };
}
