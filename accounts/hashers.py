from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Argon2id with OWASP's minimum parameters: 19 MiB, 2 passes, 1 lane.

    Django's default Argon2 costs ~200 ms a hash on our machines; these
    parameters cost ~40 ms, keeping login well under 200 ms while staying
    within OWASP's recommendation. Hashes made with other parameters are
    re-hashed on the next successful login (``must_update``).
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
