package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.PluginContext;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;

/**
 * A test plugin, packed into a jar by the tests (not annotated: the tests write its
 * extensions.idx). Records start and stop in the {@link Journal}; config {@code name} labels it,
 * {@code fail: message} makes start throw an IllegalStateException, {@code reject: key} makes it
 * throw an InvalidConfigException with that key as given (relative).
 */
public final class Recorder implements ProxyPlugin<Void> {

    private String name = "?";

    @Override
    public void start(PluginContext context) {
        ConfigSection config = context.config();
        name = config.string("name", "recorder");
        String fail = config.string("fail", null);
        String reject = config.string("reject", null);
        Journal.add("start:" + name + " as " + context.pluginId() + "@" + context.pluginVersion());
        if (fail != null) {
            throw new IllegalStateException(fail);
        }
        if (reject != null) {
            throw new InvalidConfigException(reject, "rejected by the test");
        }
    }

    @Override
    public void stop() {
        Journal.add("stop:" + name);
    }
}
