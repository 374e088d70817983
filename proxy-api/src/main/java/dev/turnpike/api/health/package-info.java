/**
 * Active health checking: the runtime's non-blocking probes ({@link dev.turnpike.api.health.HealthProbes}),
 * which a plugin schedules on {@link dev.turnpike.api.PluginContext#executor()} and judges itself.
 */
package dev.turnpike.api.health;
