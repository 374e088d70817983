package dev.turnpike.runtime.log;

import dev.turnpike.runtime.config.AccessLogSettings;
import dev.turnpike.runtime.config.AccessLogTemplate;
import dev.turnpike.runtime.config.AccessLogVariable;
import java.util.List;

/**
 * How an {@link AccessEntry} becomes a line: {@code text} (key=value), {@code json}, or a template
 * ({@code combined}, {@code template}). All three read the same variables ({@link Values}); text and
 * JSON are fixed lists of them. A tcp connection's line is text or JSON whatever the format (a
 * template describes a request). Used by the log's one writer thread only.
 */
final class AccessLogFormat {

    /** A text or JSON field: its key, its value, and whether an absent value leaves the field out. */
    private record Field(String key, AccessLogVariable variable, boolean omitWhenAbsent) {
    }

    private static final List<Field> REQUEST_FIELDS = List.of(
            new Field("ts", AccessLogVariable.TIME_ISO8601, false),
            new Field("client", AccessLogVariable.CLIENT, false),
            new Field("method", AccessLogVariable.REQUEST_METHOD, false),
            new Field("path", AccessLogVariable.REQUEST_URI, false),
            new Field("protocol", AccessLogVariable.SERVER_PROTOCOL, false),
            new Field("host", AccessLogVariable.HOST, false),
            new Field("status", AccessLogVariable.STATUS, false),
            new Field("duration_ms", AccessLogVariable.DURATION_MS, false),
            new Field("bytes_in", AccessLogVariable.BYTES_IN, false),
            new Field("bytes_out", AccessLogVariable.BYTES_OUT, false),
            new Field("upstream", AccessLogVariable.UPSTREAM, false),
            new Field("attempts", AccessLogVariable.UPSTREAM_ATTEMPTS, false),
            new Field("upstream_addr", AccessLogVariable.UPSTREAM_ADDR, false),
            new Field("upstream_status", AccessLogVariable.UPSTREAM_STATUS, false),
            new Field("upstream_connect_ms", AccessLogVariable.UPSTREAM_CONNECT_MS, false),
            new Field("upstream_header_ms", AccessLogVariable.UPSTREAM_HEADER_MS, false),
            new Field("upstream_response_ms", AccessLogVariable.UPSTREAM_RESPONSE_MS, false),
            new Field("request_id", AccessLogVariable.REQUEST_ID, false),
            new Field("responded_by", AccessLogVariable.RESPONDED_BY, false),
            new Field("error", AccessLogVariable.ERROR, false),
            new Field("reason", AccessLogVariable.REASON, true),
            new Field("head_bytes", AccessLogVariable.HEAD_BYTES, true));

    private final boolean json;
    private final AccessLogTemplate template;
    private final List<String> headerNames;
    private final Values values = new Values();

    private AccessLogFormat(boolean json, AccessLogTemplate template) {
        this.json = json;
        this.template = template;
        this.headerNames = template == null ? List.of() : template.headerNames();
    }

    static AccessLogFormat of(AccessLogSettings settings) {
        return new AccessLogFormat(settings.json(), settings.template());
    }

    /** The request headers the template reads beyond the fixed ones; the entry copies their values. */
    List<String> headerNames() {
        return headerNames;
    }

    /** Appends {@code e}'s line to {@code out}; {@code wallMillis} is when it ended, on the wall clock. */
    void write(AccessEntry e, long wallMillis, StringBuilder out) {
        values.at(e, wallMillis);
        if (e.tcp) {
            writeTcp(json ? new LineWriter.Json(out) : new LineWriter.Text(out));
        } else if (template != null) {
            writeTemplate(out);
        } else {
            LineWriter l = json ? new LineWriter.Json(out) : new LineWriter.Text(out);
            for (Field f : REQUEST_FIELDS) {
                if (values.direct(f.variable())) {
                    boolean bare = Values.numeric(f.variable());
                    l.open(f.key(), bare);
                    values.append(f.variable(), out);
                    l.close(bare);
                    continue;
                }
                String v = values.of(f.variable());
                if (v == null && f.omitWhenAbsent()) {
                    continue;
                }
                l.field(f.key(), v, Values.numeric(f.variable()));
            }
            l.field("user_agent", e.userAgent, false);
            l.field("referer", e.referer, false);
            l.end();
        }
    }

    private void writeTemplate(StringBuilder out) {
        for (AccessLogTemplate.Part p : template.parts()) {
            String v;
            if (p instanceof AccessLogTemplate.Literal lit) {
                out.append(lit.text());
                continue;
            } else if (p instanceof AccessLogTemplate.Variable var) {
                if (values.direct(var.variable())) {
                    values.append(var.variable(), out);
                    continue;
                }
                v = values.of(var.variable());
            } else {
                v = values.header(headerNames.indexOf(((AccessLogTemplate.Header) p).name()));
            }
            if (v == null || v.isEmpty()) {
                out.append('-');
            } else {
                LineWriter.escapeTemplateValue(v, out);
            }
        }
    }

    /** A connection's line: {@code kind=tcp} first, so a reader (or a parser) tells it from a request's. */
    private void writeTcp(LineWriter l) {
        AccessEntry e = values.entry();
        l.field("ts", values.of(AccessLogVariable.TIME_ISO8601), false);
        l.field("kind", "tcp", false);
        l.field("listener", e.listener, false);
        l.field("client", values.of(AccessLogVariable.CLIENT), false);
        l.field("duration_ms", values.of(AccessLogVariable.DURATION_MS), true);
        l.field("bytes_in", Long.toString(e.bytesIn), true);
        l.field("bytes_out", Long.toString(e.bytesOut), true);
        l.field("upstream", e.upstream, false);
        l.field("attempts", Integer.toString(e.attempts), true);
        l.field("connection_id", e.connectionId, false);
        l.field("rejected_by", e.rejectedBy, false);
        l.field("reason", e.reason, false);
        l.field("end", e.endReason, false);
        l.field("error", e.error, false);
        l.end();
    }
}
