package org.calico.data.synth;

import static org.calico.data.synth.Shapes.bar;
import static org.calico.data.synth.Shapes.ellipse;
import static org.calico.data.synth.Shapes.intersect;
import static org.calico.data.synth.Shapes.poly;
import static org.calico.data.synth.Shapes.rect;
import static org.calico.data.synth.Shapes.ring;
import static org.calico.data.synth.Shapes.rotate;
import static org.calico.data.synth.Shapes.roundRect;
import static org.calico.data.synth.Shapes.u;
import static org.calico.data.synth.Shapes.union;

import java.awt.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The synthetic object categories: each is drawn procedurally from labelled parts in a canonical frame
 * ({@code frameW x frameH} units, y down, ground at {@code frameH}) with randomised proportions. Parts are drawn in
 * z-order (later parts occlude earlier ones); {@link #parts()} is the answer order.
 */
public enum SynthCategory {
    CHAIR("chair", "furniture", 1.0, 1.3, List.of("seat", "back", "legs")) {
        @Override List<Part> draw(SplittableRandom r) {
            double seatTop = u(r, 0.58, 0.68), seatH = u(r, 0.09, 0.13), x0 = u(r, 0.08, 0.16), x1 = u(r, 0.84, 0.92);
            double legW = u(r, 0.09, 0.13), inset = u(r, 0, 0.06), H = frameH;
            Shape legs = union(rect(x0 + inset, seatTop + seatH - 0.02, x0 + inset + legW, H),
                    rect(x1 - inset - legW, seatTop + seatH - 0.02, x1 - inset, H),
                    r.nextDouble() < 0.3 ? rect(x0 + inset, u(r, 0.95, 1.05), x1 - inset, 1.11) : rect(0, 0, 0, 0));
            double backW = u(r, 0.11, 0.15), backTop = u(r, 0.0, 0.1), lean = u(r, -0.1, 0.0);
            Shape back = r.nextDouble() < 0.5
                    ? poly(x0 + lean, backTop, x0 + lean + backW, backTop, x0 + backW, seatTop + 0.02, x0, seatTop + 0.02)
                    : union(roundRect(x0 + lean - 0.02, backTop, x0 + lean + backW + 0.06, backTop + 0.25, 0.12),
                            poly(x0 + lean, backTop + 0.1, x0 + lean + backW, backTop + 0.1, x0 + backW, seatTop + 0.02, x0, seatTop + 0.02));
            Shape seat = r.nextDouble() < 0.5 ? rect(x0, seatTop, x1, seatTop + seatH) : roundRect(x0, seatTop, x1, seatTop + seatH, 0.08);
            return List.of(new Part("legs", legs), new Part("back", back), new Part("seat", seat));
        }
    },
    STOOL("stool", "furniture", 1.0, 1.2, List.of("seat", "legs")) {
        @Override List<Part> draw(SplittableRandom r) {
            double seatTop = u(r, 0.12, 0.3), seatH = u(r, 0.11, 0.16), x0 = u(r, 0.1, 0.22), x1 = 1.0 - u(r, 0.1, 0.22);
            double legW = u(r, 0.09, 0.12), splay = u(r, 0.0, 0.1), bottom = seatTop + seatH - 0.02, H = frameH;
            List<Shape> legs = new ArrayList<>();
            legs.add(bar(x0 + 0.1, bottom, x0 + 0.1 - splay, H - 0.02, legW));
            legs.add(bar(x1 - 0.1, bottom, x1 - 0.1 + splay, H - 0.02, legW));
            if (r.nextDouble() < 0.4) legs.add(rect(0.5 - legW / 2, bottom, 0.5 + legW / 2, H - 0.02));
            if (r.nextDouble() < 0.4) {
                double y = u(r, 0.65, 0.85) * H;
                legs.add(rect(x0 + 0.1 - splay * 0.7, y, x1 - 0.1 + splay * 0.7, y + 0.06));
            }
            Shape seat = r.nextDouble() < 0.5 ? roundRect(x0, seatTop, x1, seatTop + seatH, 0.1)
                    : ellipse((x0 + x1) / 2, seatTop + seatH / 2, (x1 - x0) / 2, seatH / 2 + 0.02);
            return List.of(new Part("legs", union(legs.toArray(new Shape[0]))), new Part("seat", seat));
        }
    },
    TABLE("table", "furniture", 1.5, 1.0, List.of("top", "legs")) {
        @Override List<Part> draw(SplittableRandom r) {
            double topY = u(r, 0.22, 0.4), topH = u(r, 0.08, 0.12), x0 = u(r, 0.0, 0.06), x1 = frameW - u(r, 0.0, 0.06);
            double legW = u(r, 0.09, 0.13), inset = u(r, 0.04, 0.16), H = frameH;
            Shape legs;
            if (r.nextDouble() < 0.3) { // pedestal table
                double w = u(r, 0.14, 0.2), c = frameW / 2;
                legs = union(rect(c - w / 2, topY + topH - 0.02, c + w / 2, H), rect(c - u(r, 0.3, 0.45), H - 0.08, c + u(r, 0.3, 0.45), H));
            } else {
                legs = union(rect(x0 + inset, topY + topH - 0.02, x0 + inset + legW, H), rect(x1 - inset - legW, topY + topH - 0.02, x1 - inset, H));
            }
            Shape top = r.nextDouble() < 0.5 ? rect(x0, topY, x1, topY + topH) : roundRect(x0, topY, x1, topY + topH, 0.06);
            return List.of(new Part("legs", legs), new Part("top", top));
        }
    },
    LAMP("lamp", "post", 0.9, 1.3, List.of("shade", "pole", "base")) {
        @Override List<Part> draw(SplittableRandom r) {
            double cx = frameW / 2, y0 = u(r, 0.0, 0.05), y1 = u(r, 0.3, 0.42), wt = u(r, 0.28, 0.45), wb = u(r, 0.6, 0.85);
            Shape shade = r.nextDouble() < 0.7 ? poly(cx - wt / 2, y0, cx + wt / 2, y0, cx + wb / 2, y1, cx - wb / 2, y1)
                    : intersect(ellipse(cx, y1, wb / 2, y1 - y0), rect(0, y0, frameW, y1));
            double pw = u(r, 0.07, 0.1), baseTop = u(r, 1.1, 1.18), bw = u(r, 0.45, 0.7);
            Shape pole = rect(cx - pw / 2, y1 - 0.02, cx + pw / 2, baseTop + 0.03);
            Shape base = r.nextDouble() < 0.5 ? ellipse(cx, (baseTop + frameH) / 2 + 0.02, bw / 2, (frameH - baseTop) / 2 + 0.02)
                    : poly(cx - bw / 3, baseTop, cx + bw / 3, baseTop, cx + bw / 2, frameH, cx - bw / 2, frameH);
            return List.of(new Part("pole", pole), new Part("base", base), new Part("shade", shade));
        }
    },
    SIGN("sign", "post", 1.0, 1.3, List.of("board", "pole", "base")) {
        @Override List<Part> draw(SplittableRandom r) {
            double cx = frameW / 2, bh = u(r, 0.35, 0.5), bw = u(r, 0.7, 0.95);
            double t = r.nextDouble();
            Shape board;
            if (t < 0.5) board = roundRect(cx - bw / 2, 0, cx + bw / 2, bh, u(r, 0, 0.1));
            else if (t < 0.75) board = ellipse(cx, bh / 2 + 0.02, bh / 2 + 0.05, bh / 2 + 0.05);
            else board = poly(cx, -0.02, cx + bh / 2 + 0.08, bh / 2, cx, bh + 0.06, cx - bh / 2 - 0.08, bh / 2);
            double pw = u(r, 0.07, 0.1), baseH = u(r, 0.08, 0.13), baseW = u(r, 0.3, 0.5);
            Shape pole = rect(cx - pw / 2, bh / 2, cx + pw / 2, frameH - baseH + 0.03);
            Shape base = r.nextDouble() < 0.5 ? rect(cx - baseW / 2, frameH - baseH, cx + baseW / 2, frameH)
                    : poly(cx - baseW / 4, frameH - baseH, cx + baseW / 4, frameH - baseH, cx + baseW / 2, frameH, cx - baseW / 2, frameH);
            return List.of(new Part("pole", pole), new Part("base", base), new Part("board", board));
        }
    },
    BIRD("bird", "flyer", 1.3, 1.0, List.of("head", "body", "wing", "tail")) {
        @Override List<Part> draw(SplittableRandom r) {
            double cx = 0.62, cy = 0.58, rx = u(r, 0.3, 0.36), ry = u(r, 0.18, 0.23), tilt = u(r, -12, 2);
            Shape body = rotate(ellipse(cx, cy, rx, ry), tilt, cx, cy);
            double hr = u(r, 0.13, 0.16), hx = cx + rx * 0.85, hy = cy - ry * 0.9;
            Shape head = union(ellipse(hx, hy, hr, hr), poly(hx + hr * 0.8, hy - 0.04, hx + hr + u(r, 0.08, 0.14), hy + 0.01, hx + hr * 0.8, hy + 0.05));
            double spread = u(r, 0.08, 0.15), tipY = cy + u(r, -0.15, 0.1);
            Shape tail = poly(cx - rx * 0.6, cy - 0.06, 0.02, tipY - spread, 0.02, tipY + spread, cx - rx * 0.6, cy + 0.08);
            Shape wing = r.nextDouble() < 0.65
                    ? rotate(ellipse(cx - 0.04, cy - 0.02, u(r, 0.22, 0.28), u(r, 0.09, 0.12)), u(r, -25, -5), cx - 0.04, cy - 0.02)
                    : poly(cx - 0.15, cy - 0.05, cx + 0.12, cy - 0.08, cx - u(r, 0.05, 0.2), u(r, 0.0, 0.12));
            return List.of(new Part("tail", tail), new Part("body", body), new Part("head", head), new Part("wing", wing));
        }
    },
    AIRPLANE("airplane", "flyer", 1.6, 0.9, List.of("body", "wing", "tail", "engine")) {
        @Override List<Part> draw(SplittableRandom r) {
            double cy = u(r, 0.42, 0.5), bh = u(r, 0.16, 0.21), top = cy - bh / 2;
            Shape body = union(roundRect(0.05, top, 1.45, cy + bh / 2, bh), ellipse(1.45, cy + 0.01, u(r, 0.1, 0.14), bh / 2 - 0.005));
            double fin = u(r, 0.28, 0.4);
            Shape tail = poly(0.06, top + 0.03, 0.06 + u(r, -0.02, 0.06), top - fin, 0.06 + u(r, 0.14, 0.2), top - fin, 0.42, top + 0.03);
            double wx = u(r, 0.6, 0.75), span = u(r, 0.28, 0.36), sweep = u(r, 0.08, 0.22);
            Shape wing = poly(wx, cy, wx + 0.38, cy, wx + 0.38 - sweep - 0.12, cy + span, wx - sweep, cy + span);
            double ew = u(r, 0.2, 0.26), eh = u(r, 0.09, 0.12), ex = wx + 0.1 - sweep / 2, ey = cy + span * 0.55;
            Shape engine = roundRect(ex - ew / 2, ey - eh / 2, ex + ew / 2, ey + eh / 2, eh);
            return List.of(new Part("tail", tail), new Part("body", body), new Part("wing", wing), new Part("engine", engine));
        }
    },
    MUG("mug", "vessel", 1.1, 1.0, List.of("body", "handle")) {
        @Override List<Part> draw(SplittableRandom r) {
            double x1 = u(r, 0.68, 0.78), top = u(r, 0.02, 0.15);
            Shape body = r.nextDouble() < 0.6 ? roundRect(0.08, top, x1, frameH, 0.1)
                    : poly(0.08, top, x1, top, x1 - 0.06, frameH, 0.14, frameH);
            double rx = u(r, 0.2, 0.26), ry = u(r, 0.22, 0.3), th = u(r, 0.08, 0.11);
            Shape handle = ring(x1 - 0.02, u(r, 0.45, 0.6), rx, ry, th);
            return List.of(new Part("handle", handle), new Part("body", body));
        }
    },
    BOTTLE("bottle", "vessel", 0.8, 1.4, List.of("body", "neck")) {
        @Override List<Part> draw(SplittableRandom r) {
            double cx = frameW / 2, nw = u(r, 0.16, 0.24), shoulder = u(r, 0.5, 0.65), bw = u(r, 0.52, 0.68);
            Shape neck = rect(cx - nw / 2, u(r, 0.0, 0.06), cx + nw / 2, shoulder - 0.05);
            Shape body = union(roundRect(cx - bw / 2, shoulder, cx + bw / 2, frameH, 0.12),
                    poly(cx - nw / 2 - 0.02, shoulder - 0.16, cx + nw / 2 + 0.02, shoulder - 0.16, cx + bw / 2, shoulder + 0.05, cx - bw / 2, shoulder + 0.05));
            return List.of(new Part("neck", neck), new Part("body", body));
        }
    },
    KETTLE("kettle", "vessel", 1.3, 1.1, List.of("body", "handle", "spout")) {
        @Override List<Part> draw(SplittableRandom r) {
            double cx = 0.7, rx = u(r, 0.33, 0.4), ry = u(r, 0.3, 0.36), cy = frameH - ry + 0.02;
            Shape body = intersect(r.nextDouble() < 0.6 ? ellipse(cx, cy, rx, ry) : roundRect(cx - rx, cy - ry, cx + rx, cy + ry, 0.3),
                    rect(0, 0, frameW, frameH));
            double hrx = u(r, 0.22, 0.3), hry = u(r, 0.22, 0.3), th = u(r, 0.07, 0.1), hy = cy - ry + 0.1;
            Shape handle = intersect(ring(cx, hy, hrx, hry, th), rect(0, 0, frameW, hy));
            double sy = cy - u(r, 0.0, 0.1), tipX = u(r, 0.02, 0.1), tipY = u(r, 0.2, 0.42), sw = u(r, 0.1, 0.13);
            Shape spout = poly(cx - rx * 0.8, sy - sw, tipX + 0.02, tipY - sw * 0.4, tipX, tipY + sw * 0.4, cx - rx * 0.8, sy + sw);
            return List.of(new Part("handle", handle), new Part("spout", spout), new Part("body", body));
        }
    },
    CAR("car", "vehicle", 1.6, 0.95, List.of("body", "window", "wheels")) {
        @Override List<Part> draw(SplittableRandom r) {
            double low = u(r, 0.36, 0.42), cab = u(r, 0.05, 0.14), c0 = u(r, 0.3, 0.42), c1 = u(r, 1.1, 1.3);
            Shape body = union(roundRect(0.02, low, 1.58, 0.8, 0.12), poly(c0, low + 0.01, c0 + 0.17, cab, c1 - 0.2, cab, c1, low + 0.01));
            Shape window = poly(c0 + 0.1, low - 0.02, c0 + 0.21, cab + 0.05, c1 - 0.24, cab + 0.05, c1 - 0.1, low - 0.02);
            double wr = u(r, 0.13, 0.16);
            Shape wheels = union(ellipse(0.36, 0.8, wr, wr), ellipse(1.24, 0.8, wr, wr));
            return List.of(new Part("body", body), new Part("window", window), new Part("wheels", wheels));
        }
    },
    CART("cart", "vehicle", 1.4, 1.0, List.of("body", "wheels", "handle")) {
        @Override List<Part> draw(SplittableRandom r) {
            double top = u(r, 0.25, 0.35), bot = u(r, 0.66, 0.74), taper = u(r, 0.0, 0.12);
            Shape body = poly(0.28, top, 1.36, top, 1.36 - taper, bot, 0.28 + taper, bot);
            double wr = u(r, 0.1, 0.13);
            Shape wheels = union(ellipse(0.5, frameH - wr, wr, wr), ellipse(1.16, frameH - wr, wr, wr));
            double th = u(r, 0.07, 0.09), ex = u(r, 0.02, 0.08), ey = u(r, 0.02, 0.1);
            Shape handle = union(bar(0.32, top + 0.06, ex + 0.04, ey + 0.03, th), bar(ex, ey, ex + u(r, 0.12, 0.18), ey, th));
            return List.of(new Part("handle", handle), new Part("body", body), new Part("wheels", wheels));
        }
    };

    /** One labelled part shape in the canonical frame. */
    record Part(String name, Shape shape) {}

    final String name, family;
    final double frameW, frameH;
    private final List<String> parts;

    SynthCategory(String name, String family, double frameW, double frameH, List<String> parts) {
        this.name = name;
        this.family = family;
        this.frameW = frameW;
        this.frameH = frameH;
        this.parts = parts;
    }

    public String categoryName() { return name; }

    public String family() { return family; }

    /** Part names in answer order. */
    public List<String> parts() { return parts; }

    /** The part shapes for one random instance, in z-order (back to front). */
    abstract List<Part> draw(SplittableRandom r);

    public static SynthCategory byName(String name) {
        for (SynthCategory c : values()) if (c.name.equals(name)) return c;
        throw new IllegalArgumentException("unknown synthetic category '" + name + "'");
    }
}
