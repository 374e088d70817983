package dev.turnpike.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The start-up warning for signals inherited as ignored, word for word (IgnoredSignalsIT starts a
 * real process with HUP and INT ignored; SIGTERM ignored would keep that process from stopping).
 */
class StopSignalsTest {

    @Test
    void sigtermIgnoredSaysKillWillNotStopTheProxy() {
        assertEquals("SIGTERM will not stop the proxy: the proxy was started with SIGTERM ignored (nohup, or a background job "
                + "of a script) and the JVM cannot take over an ignored signal; start it with setsid rather than nohup, or "
                + "through env --default-signal=TERM, to have it back", StopSignals.ignoredWarning(List.of("TERM")));
    }

    @Test
    void sighupIgnoredSaysReloadsComeOnlyFromFileEdits() {
        assertEquals("SIGHUP will not reload the configuration (edits of the file still do): the proxy was started with "
                + "SIGHUP ignored (nohup, or a background job of a script) and the JVM cannot take over an ignored signal; "
                + "start it with setsid rather than nohup, or through env --default-signal=HUP, to have it back",
                StopSignals.ignoredWarning(List.of("HUP")));
    }
}
