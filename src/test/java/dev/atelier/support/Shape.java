package dev.atelier.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A response shape from the reference: every field name with its JSON type. {@link #check} fails on a missing
 * required field, a field of the wrong type, and a field the shape does not know (a misspelt name).
 * Types: {@code s} string, {@code i} 32-bit integer, {@code l} integer, {@code b} boolean, {@code a} array,
 * {@code o} object; a trailing {@code ?} marks a field that may be absent.
 */
public final class Shape {
    private final String name;
    private final Map<String, String> fields = new LinkedHashMap<>();
    private final Map<String, Shape> nested = new LinkedHashMap<>();

    private Shape(String name) {
        this.name = name;
    }

    public static Shape of(String name, String... pairs) {
        Shape s = new Shape(name);
        for (int i = 0; i < pairs.length; i += 2) {
            s.fields.put(pairs[i], pairs[i + 1]);
        }
        return s;
    }

    /** The objects of {@code field} (an object, or an array of objects) must have {@code shape}. */
    public Shape with(String field, Shape shape) {
        nested.put(field, shape);
        return this;
    }

    /** The same shape with {@code field} optional: present where the reference has it, absent where it must not be. */
    public Shape optional(String field) {
        Shape s = new Shape(name);
        s.fields.putAll(fields);
        s.nested.putAll(nested);
        s.fields.computeIfPresent(field, (f, t) -> t.endsWith("?") ? t : t + "?");
        return s;
    }

    public void check(JsonNode node) {
        assertThat(node.isObject()).as(name + " is an object: " + node).isTrue();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            assertThat(fields).as(name + " has no field " + f + " in the reference").containsKey(f);
        }
        fields.forEach((field, type) -> {
            JsonNode v = node.get(field);
            boolean optional = type.endsWith("?");
            if (v == null || v.isNull()) {
                assertThat(optional).as(name + "." + field + " is required").isTrue();
                return;
            }
            String t = optional ? type.substring(0, type.length() - 1) : type;
            boolean ok = switch (t) {
                case "s" -> v.isTextual();
                case "i" -> v.isInt();
                case "l" -> v.isIntegralNumber();
                case "b" -> v.isBoolean();
                case "a" -> v.isArray();
                case "o" -> v.isObject();
                default -> throw new IllegalArgumentException(t);
            };
            assertThat(ok).as(name + "." + field + " must be of type " + t + ", was " + v).isTrue();
            Shape inner = nested.get(field);
            if (inner != null) {
                if (v.isArray()) {
                    v.forEach(inner::check);
                } else {
                    inner.check(v);
                }
            }
        });
    }
}
