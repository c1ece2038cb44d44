package org.calico.kernels;

/** A native kernel refused its arguments or failed; the message names the op and the native reason. */
public class KernelException extends RuntimeException {
    public KernelException(String message) { super(message); }
}
