from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane.

    Django's default Argon2 parameters cost several times as much per hash;
    these keep a login fast while staying within OWASP's recommendation
    (figures in docs/performance.md). Hashes made with other parameters are
    re-hashed on the next successful login (``must_update``).
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
