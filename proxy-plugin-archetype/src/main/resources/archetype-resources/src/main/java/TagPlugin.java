package ${package};

import dev.turnpike.api.MessageSyntax;
import dev.turnpike.api.Outcome;
import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import org.pf4j.Extension;

/**
 * Sets {@code X-Tag: <tag>} on every request on its way to the backend.
 *
 * <p>Configuration (the chain entry's {@code config:} section in conf/proxy.yaml):
 * <ul>
 *   <li>{@code tag}: the header's value, a text without CR, LF or NUL; default {@code "${pluginId}"}.</li>
 * </ul>
 * Any other key is refused by the proxy as unknown (with a "did you mean" for a close one), so a
 * typo fails the configuration instead of being ignored.
 *
 * <p>One instance serves every event loop at once: it keeps no per-request state in fields, and
 * the field it has is written in {@link #start} only, before any request.
 */
@Extension
public class TagPlugin implements ProxyPlugin<Void> {

    /** The header this plugin sets on the upstream request. */
    public static final String HEADER = "X-Tag";

    private String tag;

    /**
     * Reads the configuration, on the proxy's management thread, before the first request (and
     * again, on a new instance, after each reload that changes it). A refusal here refuses the
     * configuration with the key's full path and the reason.
     */
    @Override
    public void start(PluginContext context) {
        ConfigSection config = context.config();
        tag = config.string("tag", "${pluginId}");
        try {
            MessageSyntax.checkValue(HEADER, tag);
        } catch (IllegalArgumentException e) {
            throw config.invalid("tag", "must not contain CR, LF or NUL");
        }
    }

    /**
     * upstream_request_filter: runs on the request's event loop once per attempt (again on a
     * retry), when the upstream request's head may be edited. It must not block.
     */
    @Override
    public Outcome upstreamRequestFilter(Session session, Void ctx) {
        session.upstreamRequest().headers().set(HEADER, tag);
        return Outcome.proceed();
    }
}
