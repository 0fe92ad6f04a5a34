package dev.atelier.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;

/**
 * Typed access to a JSON request body that names the offending field in every error. Unknown fields are
 * ignored; a JSON null counts as absent.
 */
final class RequestBody {
    private final JsonNode node;
    private final String prefix;

    private RequestBody(JsonNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    static RequestBody parse(ObjectMapper mapper, byte[] body) {
        if (body == null || body.length == 0) {
            throw new AtelierException(ErrorCode.INVALID_PAYLOAD, "the request needs a JSON object body");
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new AtelierException(ErrorCode.INVALID_PAYLOAD, notJson(e));
        } catch (java.io.IOException e) {
            throw new AtelierException(ErrorCode.INVALID_PAYLOAD, "the request body cannot be read");
        }
        if (node == null || !node.isObject()) {
            throw new AtelierException(ErrorCode.INVALID_PAYLOAD, "the request body must be a JSON object");
        }
        return new RequestBody(node, "");
    }

    /**
     * What is wrong with a body that is not JSON, in plain words: never the parser's own message, which names its
     * classes and settings.
     */
    static String notJson(JsonProcessingException e) {
        String at = e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        String original = String.valueOf(e.getOriginalMessage());
        if (e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException) {
            return original.contains("depth") ? "the request body is nested too deeply (at most "
                    + Json.MAX_NESTING + " levels)" : "the request body has a value that is too long";
        }
        if (original.startsWith("Trailing token")) {
            return "the request body is not valid JSON: there is more after its value" + at;
        }
        if (original.contains("'NaN'") || original.contains("Infinity")) {
            return "the request body is not valid JSON: NaN and Infinity are not JSON numbers" + at;
        }
        if (e instanceof com.fasterxml.jackson.core.io.JsonEOFException) {
            return "the request body is not valid JSON: it ends in the middle of a value" + at;
        }
        return "the request body is not valid JSON" + at;
    }

    /** As {@link #parse}, with no body at all standing for {@code {}} (calls whose fields are all optional). */
    static RequestBody parseOrEmpty(ObjectMapper mapper, byte[] body) {
        return body == null || body.length == 0 ? new RequestBody(mapper.createObjectNode(), "")
                : parse(mapper, body);
    }

    String string(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(field, "a string", v);
        }
        if (v.textValue().indexOf('\0') >= 0) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, prefix + field + " must not contain a NUL character");
        }
        return v.textValue();
    }

    /**
     * An integer field; one beyond an int's range is the nearest int, so that the field's own range check refuses it
     * with its own message ("between 5 and 4096"), not as a number of the wrong type.
     */
    Integer integer(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw wrongType(field, "an integer", v);
        }
        if (!v.canConvertToInt()) {
            return v.bigIntegerValue().signum() > 0 ? Integer.MAX_VALUE : Integer.MIN_VALUE;
        }
        return v.intValue();
    }

    Boolean bool(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw wrongType(field, "a boolean", v);
        }
        return v.booleanValue();
    }

    /** Whether the field is given, with a value other than null. */
    boolean has(String field) {
        return value(field) != null;
    }

    /** The names of this object's fields, in their order. */
    java.util.List<String> fieldNames() {
        java.util.List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    Long longValue(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw wrongType(field, "an integer", v);
        }
        return v.longValue();
    }

    RequestBody object(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw wrongType(field, "an object", v);
        }
        return new RequestBody(v, prefix + field + ".");
    }

    /** The items of an array of strings; empty when absent. */
    java.util.List<String> strings(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return java.util.List.of();
        }
        if (!v.isArray()) {
            throw wrongType(field, "an array", v);
        }
        java.util.List<String> items = new java.util.ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw wrongType(field + "[" + i + "]", "a string", v.get(i));
            }
            items.add(v.get(i).textValue());
        }
        return items;
    }

    /** The items of an array of objects; empty when absent. */
    java.util.List<RequestBody> objects(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return java.util.List.of();
        }
        if (!v.isArray()) {
            throw wrongType(field, "an array", v);
        }
        java.util.List<RequestBody> items = new java.util.ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isObject()) {
                throw wrongType(field + "[" + i + "]", "an object", v.get(i));
            }
            items.add(new RequestBody(v.get(i), prefix + field + "[" + i + "]."));
        }
        return items;
    }

    private JsonNode value(String field) {
        JsonNode v = node.get(field);
        return v == null || v instanceof NullNode ? null : v;
    }

    private AtelierException wrongType(String field, String expected, JsonNode actual) {
        return new AtelierException(ErrorCode.WRONG_TYPE, prefix + field + " must be " + expected + ", not "
                + describe(actual.getNodeType()));
    }

    private static String describe(JsonNodeType type) {
        return switch (type) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
