package dev.turnpike.runtime.log;

import java.net.InetAddress;

/**
 * An address's text for log lines, remembered per thread for the last address seen: keep-alive
 * clients and busy sources log the same address line after line, and
 * {@link InetAddress#getHostAddress} formats it anew each time (an IPv6 one costs a microsecond).
 */
final class HostText {

    private static final ThreadLocal<HostText> LAST = ThreadLocal.withInitial(HostText::new);

    private InetAddress address;
    private String text;

    private HostText() {
    }

    static String of(InetAddress a) {
        HostText last = LAST.get();
        if (!a.equals(last.address)) {
            last.address = a;
            last.text = a.getHostAddress();
        }
        return last.text;
    }
}
