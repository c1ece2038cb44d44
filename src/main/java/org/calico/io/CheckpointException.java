package org.calico.io;

/** A checkpoint or tensor file that cannot be read as asked: names the file, the key and what is wrong. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) { super(message); }

    public CheckpointException(String message, Throwable cause) { super(message, cause); }
}
