package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.Outcome;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A test plugin that reaches past the API for a Netty buffer, in one branch of its request filter
 * only: nothing needs Netty until a request takes that branch, so only reading its class file
 * finds the use before then.
 */
public final class UsesNetty implements ProxyPlugin<Void> {

    @Override
    public Outcome requestFilter(Session session, Void ctx) {
        if (session.requestId().equals("never")) {
            ByteBuf buffer = Unpooled.buffer(16);
            buffer.release();
        }
        return Outcome.proceed();
    }
}
