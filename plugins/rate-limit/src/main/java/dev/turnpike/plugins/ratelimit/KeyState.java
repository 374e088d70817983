package dev.turnpike.plugins.ratelimit;

/**
 * One key's state in the {@link KeyTable}. Guarded by the lock of the table segment that holds it:
 * read and written only inside that lock.
 */
abstract class KeyState {

    /** When a rejection of this key was last logged (the log allows one a second per key). */
    long warnedAt;
}
