package dev.turnpike.runtime.log;

import dev.turnpike.runtime.config.AccessLogVariable;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The value of each {@link AccessLogVariable} for one entry, as text ({@code null}: absent). One
 * instance per format, used by the writer thread alone, so the formatted times are cached in it.
 */
final class Values {

    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private AccessEntry e;
    private long wallMillis;
    private long isoMillis = Long.MIN_VALUE;
    private String iso;
    private long localSecond = Long.MIN_VALUE;
    private String local;

    /** The entry (and its wall-clock end) the next look-ups read. */
    void at(AccessEntry entry, long wallMillis) {
        this.e = entry;
        this.wallMillis = wallMillis;
    }

    AccessEntry entry() {
        return e;
    }

    /** Whether JSON writes the value bare (a number). */
    static boolean numeric(AccessLogVariable v) {
        return switch (v) {
            case STATUS, REQUEST_TIME, DURATION_MS, BYTES_IN, BYTES_OUT, BODY_BYTES_SENT, UPSTREAM_ATTEMPTS, REMOTE_PORT,
                 MSEC, HEAD_BYTES -> true;
            default -> false;
        };
    }

    /** The template's {@code index}-th header. */
    String header(int index) {
        return e.headers == null || index < 0 || index >= e.headers.length ? null : e.headers[index];
    }

    String of(AccessLogVariable v) {
        return switch (v) {
            case TIME_ISO8601 -> iso();
            case TIME_LOCAL -> local();
            case MSEC -> (wallMillis / 1000) + "." + pad3(wallMillis % 1000);
            case REMOTE_ADDR -> e.client == null ? null : HostText.of(e.client.getAddress());
            case REMOTE_PORT -> e.client == null ? null : Integer.toString(e.client.getPort());
            case CLIENT -> e.client == null ? null : HostText.of(e.client.getAddress()) + ":" + e.client.getPort();
            case REQUEST_METHOD -> e.method;
            case REQUEST_URI -> e.uri;
            case REQUEST -> e.method == null ? null : e.method + " " + e.uri + " " + e.protocol;
            case SERVER_PROTOCOL -> e.protocol;
            case HOST -> e.host;
            case STATUS -> Integer.toString(e.status);
            case REQUEST_TIME -> seconds(e.endNanos - e.startNanos);
            case DURATION_MS -> millis(e.endNanos - e.startNanos);
            case BYTES_IN -> Long.toString(e.bytesIn);
            case BYTES_OUT, BODY_BYTES_SENT -> Long.toString(e.bytesOut);
            case UPSTREAM -> e.upstream;
            case UPSTREAM_GROUP -> e.group;
            case UPSTREAM_ADDR -> perTry(Part.ADDRESS, false);
            case UPSTREAM_STATUS -> perTry(Part.STATUS, false);
            case UPSTREAM_CONNECT_TIME -> perTry(Part.CONNECT, true);
            case UPSTREAM_HEADER_TIME -> perTry(Part.HEADER, true);
            case UPSTREAM_RESPONSE_TIME -> perTry(Part.RESPONSE, true);
            case UPSTREAM_CONNECT_MS -> perTry(Part.CONNECT, false);
            case UPSTREAM_HEADER_MS -> perTry(Part.HEADER, false);
            case UPSTREAM_RESPONSE_MS -> perTry(Part.RESPONSE, false);
            case UPSTREAM_ATTEMPTS -> Integer.toString(e.attempts);
            case REQUEST_ID -> e.requestId;
            case RESPONDED_BY -> e.respondedBy;
            case ERROR -> e.error;
            case REASON -> e.reason;
            case HEAD_BYTES -> e.headBytes < 0 ? null : Integer.toString(e.headBytes);
        };
    }

    private enum Part { ADDRESS, STATUS, CONNECT, HEADER, RESPONSE }

    /** One value per attempt, {@code ", "} between them (nginx's form); {@code -} for one it lacks. */
    private String perTry(Part part, boolean inSeconds) {
        List<UpstreamTry> tries = e.tries;
        if (tries == null || tries.isEmpty()) {
            return null;
        }
        if (tries.size() == 1) {
            return one(tries.get(0), part, inSeconds); // the common case, without a builder
        }
        StringBuilder sb = new StringBuilder(tries.size() * 8);
        for (int i = 0; i < tries.size(); i++) {
            UpstreamTry t = tries.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            switch (part) {
                case ADDRESS -> sb.append(t.address);
                case STATUS -> sb.append(t.status == 0 ? "-" : Integer.toString(t.status));
                case CONNECT -> time(sb, t.connectNanos, inSeconds);
                case HEADER -> time(sb, t.headerNanos, inSeconds);
                case RESPONSE -> time(sb, t.endNanos, inSeconds);
            }
        }
        return sb.toString();
    }

    private static String one(UpstreamTry t, Part part, boolean inSeconds) {
        return switch (part) {
            case ADDRESS -> t.address;
            case STATUS -> t.status == 0 ? "-" : Integer.toString(t.status);
            case CONNECT -> time(t.connectNanos, inSeconds);
            case HEADER -> time(t.headerNanos, inSeconds);
            case RESPONSE -> time(t.endNanos, inSeconds);
        };
    }

    private static String time(long nanos, boolean inSeconds) {
        return nanos < 0 ? "-" : inSeconds ? seconds(nanos) : millis(nanos);
    }

    private static void time(StringBuilder sb, long nanos, boolean inSeconds) {
        sb.append(nanos < 0 ? "-" : inSeconds ? seconds(nanos) : millis(nanos));
    }

    private String iso() {
        if (wallMillis != isoMillis) {
            isoMillis = wallMillis;
            iso = Instant.ofEpochMilli(wallMillis).toString();
        }
        return iso;
    }

    private String local() {
        long second = Math.floorDiv(wallMillis, 1000);
        if (second != localSecond) {
            localSecond = second;
            local = LOCAL.format(Instant.ofEpochSecond(second));
        }
        return local;
    }

    /** Nanoseconds as milliseconds with three decimals, without a Formatter (it costs microseconds). */
    static String millis(long nanos) {
        long micros = Math.max(0, nanos / 1000);
        return (micros / 1000) + "." + pad3(micros % 1000);
    }

    /** Nanoseconds as seconds with three decimals (nginx's times). */
    static String seconds(long nanos) {
        long ms = Math.max(0, nanos / 1_000_000);
        return (ms / 1000) + "." + pad3(ms % 1000);
    }

    private static String pad3(long n) {
        return n < 10 ? "00" + n : n < 100 ? "0" + n : Long.toString(n);
    }
}
