package dev.turnpike.runtime.plugin.testplugins;

import dev.turnpike.api.ProxyPlugin;

/** A second test extension, to make a jar with two of them. */
public final class Silent implements ProxyPlugin<Void> {
}
