package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyError;
import org.junit.jupiter.api.Test;

/**
 * {@link BackendSilence} on a clock the test moves: the read silence never runs while a reason
 * pauses reading, only the last resume lets it run again, and each silence names itself when it
 * runs out.
 */
class BackendSilenceTest {

    private static final long READ = 30_000_000_000L;
    private static final long WRITE = 20_000_000_000L;
    private static final long T0 = 1_000_000_000L;

    private final BackendSilence silence = new BackendSilence("10.0.0.7:8080", READ, WRITE);

    @Test
    void aReadSilenceRunsOutAtItsTimeoutAndNamesTheBackend() {
        assertEquals(T0 + READ, silence.awaitRead(T0));
        assertNull(silence.expired(T0 + READ - 1));
        ProxyError e = silence.expired(T0 + READ);
        assertEquals(ErrorKind.UPSTREAM_TIMEOUT, e.kind());
        assertEquals("backend 10.0.0.7:8080 sent nothing for 30000 ms", e.message());
    }

    @Test
    void bytesFromTheBackendStartTheReadSilenceOver() {
        silence.awaitRead(T0);
        silence.readSome(T0 + READ - 1);
        assertNull(silence.expired(T0 + READ));
        assertEquals(T0 + 2 * READ - 1, silence.deadline());
    }

    @Test
    void whilePausedTheReadSilenceDoesNotRunAndCannotBeArmed() {
        silence.awaitRead(T0);
        assertTrue(silence.pause(BackendSilence.PAUSE_CLIENT), "the first reason stops reading");
        assertEquals(0, silence.deadline(), "the wait is the client's now");
        assertEquals(0, silence.awaitRead(T0 + 1));
        assertNull(silence.expired(T0 + 10 * READ), "a slow client is never the backend's timeout");
    }

    @Test
    void onlyTheLastReasonToGoLetsReadingRunAgain() {
        assertTrue(silence.pause(BackendSilence.PAUSE_CLIENT));
        assertFalse(silence.pause(BackendSilence.PAUSE_BODY_FILTER), "already paused");
        assertFalse(silence.resume(BackendSilence.PAUSE_RESPONSE_FILTER), "a reason that never held");
        assertFalse(silence.resume(BackendSilence.PAUSE_CLIENT), "the body filter still holds it");
        assertTrue(silence.paused());
        assertTrue(silence.resume(BackendSilence.PAUSE_BODY_FILTER));
        assertFalse(silence.paused());
        assertFalse(silence.resume(BackendSilence.PAUSE_BODY_FILTER), "no second resume for one pause");
    }

    @Test
    void aWriteSilenceRunsWhileTheBackendTakesNoBytes() {
        assertEquals(T0 + WRITE, silence.awaitWrite(T0));
        assertTrue(silence.pause(BackendSilence.PAUSE_CLIENT));
        ProxyError e = silence.expired(T0 + WRITE);
        assertEquals("backend 10.0.0.7:8080 took no request bytes for 20000 ms", e.message(),
                "pausing the reading does not stop the write silence");
        silence.writable();
        assertNull(silence.expired(T0 + WRITE));
    }

    @Test
    void theEarlierDeadlineIsTheOneToLookAtAndStopEndsBoth() {
        silence.awaitRead(T0);
        silence.awaitWrite(T0);
        assertEquals(T0 + WRITE, silence.deadline());
        silence.stop();
        assertEquals(0, silence.deadline());
        assertNull(silence.expired(Long.MAX_VALUE / 2));
    }
}
