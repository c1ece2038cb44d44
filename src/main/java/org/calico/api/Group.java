package org.calico.api;

import java.util.List;

/**
 * A cross-image correspondence: the common object (one member per image), one common part matched across images, or
 * a unique part (a single member). {@code members} are indices into {@link CoSegmentation#segments()}. Immutable.
 */
public record Group(Kind kind, String label, List<Integer> members) {
    public enum Kind { COMMON_OBJECT, COMMON_PART, UNIQUE_PART, PHRASE }

    public Group {
        members = List.copyOf(members);
    }
}
