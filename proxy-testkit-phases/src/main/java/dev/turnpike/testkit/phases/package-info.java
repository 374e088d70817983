/**
 * Socket-free unit tests of a plugin's phases: {@link dev.turnpike.testkit.phases.PhaseHarness}
 * starts one plugin with a {@link dev.turnpike.testkit.phases.FakePluginContext} and runs requests
 * ({@link dev.turnpike.testkit.phases.FakeSession}) through its phases as
 * {@link dev.turnpike.testkit.phases.Exchange}s, on a deterministic
 * {@link dev.turnpike.testkit.phases.FakeEventLoop}. Every fake keeps the runtime's rules for what
 * it stands for (edit rules per phase, header syntax, metric registration, config refusals), so a
 * plugin that passes here behaves the same under the runtime. Depends on {@code proxy-api} alone.
 */
package dev.turnpike.testkit.phases;
