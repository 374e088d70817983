package dev.turnpike.runtime.wire;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Arrays;

/**
 * A backend's HTTP/1.1 response head that can go to the client as the bytes it came in, less its
 * hop-by-hop lines, with the proxy's own fields appended: what nginx and HAProxy do with a head no
 * one edits. The parsed fields are there as for any response (plugins and the logs read them);
 * whoever changes them, or the status, must write the head from them instead.
 */
public final class WireResponse extends DefaultHttpResponse {

    private final byte[] head;
    private final int fieldsEnd;
    private final int[] skip;

    WireResponse(HttpResponseStatus status, HttpHeaders headers, byte[] head, FieldLines fields) {
        super(HttpVersion.HTTP_1_1, status, headers);
        this.head = head;
        this.fieldsEnd = head.length - 2;
        this.skip = Arrays.copyOf(fields.hopLines, 2 * fields.hopLineCount);
    }

    /** The status line and the field lines as received, hop-by-hop lines left out; no empty line. */
    public void writeReceived(ByteBuf out) {
        int from = 0;
        for (int i = 0; i < skip.length; i += 2) {
            out.writeBytes(head, from, skip[i] - from);
            from = skip[i + 1];
        }
        out.writeBytes(head, from, fieldsEnd - from);
    }
}
