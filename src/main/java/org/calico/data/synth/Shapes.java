package org.calico.data.synth;

import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.RoundRectangle2D;
import java.util.SplittableRandom;

/** Small geometry helpers for the synthetic categories (canonical frame units, y down). */
final class Shapes {
    private Shapes() {}

    static double u(SplittableRandom r, double a, double b) {
        return a + (b - a) * r.nextDouble();
    }

    static Shape rect(double x0, double y0, double x1, double y1) {
        return new Rectangle2D.Double(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    }

    static Shape roundRect(double x0, double y0, double x1, double y1, double arc) {
        return new RoundRectangle2D.Double(x0, y0, x1 - x0, y1 - y0, arc, arc);
    }

    static Shape ellipse(double cx, double cy, double rx, double ry) {
        return new Ellipse2D.Double(cx - rx, cy - ry, 2 * rx, 2 * ry);
    }

    static Shape poly(double... xy) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(xy[0], xy[1]);
        for (int i = 2; i < xy.length; i += 2) p.lineTo(xy[i], xy[i + 1]);
        p.closePath();
        return p;
    }

    /** A thick segment from (x0, y0) to (x1, y1). */
    static Shape bar(double x0, double y0, double x1, double y1, double thickness) {
        double dx = x1 - x0, dy = y1 - y0, len = Math.hypot(dx, dy);
        double nx = -dy / len * thickness / 2, ny = dx / len * thickness / 2;
        return poly(x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny);
    }

    static Shape rotate(Shape s, double degrees, double cx, double cy) {
        return AffineTransform.getRotateInstance(Math.toRadians(degrees), cx, cy).createTransformedShape(s);
    }

    static Area union(Shape... shapes) {
        Area a = new Area();
        for (Shape s : shapes) a.add(new Area(s));
        return a;
    }

    static Area minus(Shape a, Shape b) {
        Area r = new Area(a);
        r.subtract(new Area(b));
        return r;
    }

    static Area intersect(Shape a, Shape b) {
        Area r = new Area(a);
        r.intersect(new Area(b));
        return r;
    }

    /** An elliptic ring. */
    static Area ring(double cx, double cy, double rx, double ry, double thickness) {
        return minus(ellipse(cx, cy, rx, ry), ellipse(cx, cy, rx - thickness, ry - thickness));
    }
}
