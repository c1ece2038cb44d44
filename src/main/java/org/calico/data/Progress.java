package org.calico.data;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A text progress bar on stderr: {@code label [=======>     ]  57% 114/200 12.3/s}. Thread-safe; redraws at most
 * every 200 ms on a terminal (every 10 % otherwise) and ends with a newline on {@link #close()}.
 */
public final class Progress implements AutoCloseable {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean tty;
    private final long start = System.nanoTime();
    private final AtomicLong done = new AtomicLong();
    private long lastDraw;
    private int lastDecile = -1;
    private boolean enabled;

    public Progress(String label, long total, boolean enabled) {
        this.label = label;
        this.total = Math.max(total, 0);
        this.out = System.err;
        this.tty = System.console() != null;
        this.enabled = enabled;
    }

    public void step() {
        advance(1);
    }

    public void advance(long n) {
        long d = done.addAndGet(n);
        if (!enabled) return;
        synchronized (this) {
            long now = System.nanoTime();
            int decile = total == 0 ? 10 : (int) (10 * d / total);
            if (tty ? now - lastDraw > 200_000_000L || d == total : decile != lastDecile) {
                lastDraw = now;
                lastDecile = decile;
                draw(d, tty ? "\r" : "", tty ? "" : "\n");
            }
        }
    }

    public long done() { return done.get(); }

    private void draw(long d, String pre, String post) {
        int width = 30;
        double f = total == 0 ? 1 : Math.min(1.0, (double) d / total);
        int fill = (int) Math.round(f * width);
        StringBuilder bar = new StringBuilder();
        for (int i = 0; i < width; i++) bar.append(i < fill ? '=' : (i == fill ? '>' : ' '));
        double secs = (System.nanoTime() - start) / 1e9;
        out.print(String.format(Locale.ROOT, "%s%s [%s] %3d%% %d/%d %.1f/s%s", pre, label, bar, (int) Math.round(f * 100), d, total,
                secs > 0 ? d / secs : 0.0, post));
        out.flush();
    }

    @Override public synchronized void close() {
        if (!enabled) return;
        if (tty) {
            draw(done.get(), "\r", "\n");
        } else if (lastDecile != 10) {
            draw(done.get(), "", "\n");
        }
        enabled = false;
    }
}
