package dev.turnpike.runtime.forward;

/** A forward target the policy refuses: the reason is what the client reads in its 403. */
public final class ForwardRefusal extends Exception {

    public ForwardRefusal(String reason) {
        super(reason, null, false, false);
    }
}
