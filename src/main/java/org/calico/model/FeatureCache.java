package org.calico.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.bytedeco.javacpp.PointerScope;
import org.calico.image.RgbImage;

/**
 * Per-image feature cache keyed by image content ({@link RgbImage#contentDigest()}): EVA, DINOv2/CEM and SAM
 * encodings are computed once per distinct image and reused across pairings and requests. Thread-safe: concurrent
 * requests for the same image wait for one computation. Least-recently-used entries beyond {@code capacity} are
 * evicted; an evicted entry's native tensors are released only once no request is using it any more.
 */
public final class FeatureCache implements AutoCloseable {
    private final int capacity;
    private final LinkedHashMap<String, Entry> lru = new LinkedHashMap<>(16, 0.75f, true);
    private long hits, misses;

    /** A cached value with a usage count; close when the request is done with it. */
    public static final class Lease implements AutoCloseable {
        private final Entry e;
        private boolean closed;

        private Lease(Entry e) { this.e = e; }

        public ImageFeatures features() { return e.future.join(); }

        @Override public void close() {
            if (closed) return;
            closed = true;
            e.release();
        }
    }

    private static final class Entry {
        final CompletableFuture<ImageFeatures> future = new CompletableFuture<>();
        int refs;
        boolean evicted;

        synchronized void acquire() { refs++; }

        synchronized void release() {
            refs--;
            maybeFree();
        }

        synchronized void evict() {
            evicted = true;
            maybeFree();
        }

        /** After the value arrived: free it at once if it was evicted meanwhile and nobody holds it. */
        synchronized void completed() { maybeFree(); }

        private void maybeFree() {
            if (evicted && refs == 0 && future.isDone() && !future.isCompletedExceptionally()) future.join().close();
        }
    }

    public FeatureCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("cache capacity must be >= 1, got " + capacity);
        this.capacity = capacity;
    }

    /**
     * Leases the features of every image, computing the missing ones with {@code encoder} (called once with all
     * distinct missing images, inside its own PointerScope; its results are retained by the cache).
     */
    public List<Lease> get(List<RgbImage> images, Function<List<RgbImage>, List<ImageFeatures>> encoder) {
        List<Lease> out = new ArrayList<>();
        Map<String, Entry> mine = new HashMap<>();
        List<RgbImage> toCompute = new ArrayList<>();
        List<Entry> toFill = new ArrayList<>();
        synchronized (this) {
            for (RgbImage img : images) {
                String key = img.contentDigest();
                Entry e = lru.get(key);
                if (e == null) {
                    e = mine.get(key);
                    if (e == null) {
                        e = new Entry();
                        mine.put(key, e);
                        lru.put(key, e);
                        toCompute.add(img);
                        toFill.add(e);
                        misses++;
                    }
                } else {
                    hits++;
                }
                e.acquire();
                out.add(new Lease(e));
            }
            evictOverflow();
        }
        if (!toCompute.isEmpty()) {
            try (PointerScope scope = new PointerScope()) {
                List<ImageFeatures> f = encoder.apply(toCompute);
                for (int i = 0; i < f.size(); i++) toFill.get(i).future.complete(f.get(i).retained());
            } catch (RuntimeException | Error ex) {
                synchronized (this) {
                    for (Entry e : toFill) {
                        e.future.completeExceptionally(ex);
                        lru.values().remove(e);
                    }
                }
                out.forEach(Lease::close);
                throw ex;
            }
            for (Entry e : toFill) e.completed();
        }
        return out;
    }

    private void evictOverflow() {
        var it = lru.entrySet().iterator();
        while (lru.size() > capacity && it.hasNext()) {
            Entry e = it.next().getValue();
            it.remove();
            e.evict();
        }
    }

    public synchronized long hits() { return hits; }

    public synchronized long misses() { return misses; }

    public synchronized int size() { return lru.size(); }

    /** Evicts everything (tensors in use are released when their requests finish). */
    @Override public synchronized void close() {
        for (Entry e : lru.values()) e.evict();
        lru.clear();
    }
}
