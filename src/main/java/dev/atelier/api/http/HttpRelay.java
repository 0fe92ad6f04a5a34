package dev.atelier.api.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.Set;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

/**
 * HTTP requests to notebook servers and their answers, relayed through Jetty's own client: the answer's status
 * and headers as soon as they arrive, then its body block by block as the client takes it, never held whole. The
 * JDK's client, used before, handed every 16 kB block from its thread to the request's and back: a 100 MB
 * download ran at a fifth of the notebook server's own speed (docs/performance.md).
 *
 * <p>The client is a relay, not a browser: it keeps no cookies (one user's would reach the next), follows no
 * redirects, decodes no compressed bodies and adds no User-Agent.
 */
final class HttpRelay implements AutoCloseable {
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
            "expect", "http2-settings");
    private static final Set<String> NOT_FORWARDED = Set.of("authorization", "x-auth-token", "cookie",
            "accept-encoding", "x-sdk-date", "x-sdk-content-sha256", "x-project-id", "origin", "referer");
    /** How long a notebook server may take to begin its answer, and may then stay silent in the middle of it. */
    private static final long SILENCE_MINUTES = 10;
    /** The client's own block size for an answer's body: no read returns more. */
    private static final int BLOCK = 16 * 1024;

    private final HttpClient client = new HttpClient() {
        /** The store keeps nothing (below), but the client parses every Set-Cookie for it first (3.5% of a relay). */
        @Override
        public void putCookie(java.net.URI uri, org.eclipse.jetty.http.HttpField field) {
        }
    };
    private final GatewayTraffic traffic;

    HttpRelay(GatewayTraffic traffic) {
        this.traffic = traffic;
        // virtual threads: a request's body is read from the client's connection as it is sent on, and a slow
        // uploader must park only a virtual thread, never one of a few the relay cannot do without
        VirtualThreadPool threads = new VirtualThreadPool();
        threads.setName("gateway-client");
        client.setExecutor(threads);
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null);
        client.setConnectTimeout(5_000);
        client.setMaxConnectionsPerDestination(256);
        client.setResponseBufferSize(BLOCK);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("the gateway's HTTP client did not start", e);
        }
        // starting adds what a browser-like client does with answers; a relay passes them on untouched: compressed
        // bodies stay compressed, and a 401 or a redirect is the client's to act on
        client.getContentDecoderFactories().clear();
        client.getProtocolHandlers().remove(org.eclipse.jetty.client.WWWAuthenticationProtocolHandler.NAME);
        client.getProtocolHandlers().remove(org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler.NAME);
        client.getProtocolHandlers().remove(org.eclipse.jetty.client.RedirectProtocolHandler.NAME);
    }

    /**
     * Relays the client's request to {@code target} and its answer back: the client's headers except those of
     * its own connection and its credentials for Atelier, then the notebook server's token, the cookies meant for
     * it and who is asking (X-Forwarded-For); the body streamed, or from memory where a signature check has read
     * it ({@code bodyRead}). See {@link #send} for the answer.
     */
    void forward(Context ctx, URI target, String token, String cookies, boolean bodyRead,
                 Consumer<Throwable> unanswered) throws InterruptedException {
        String method = ctx.method().name();
        Request req = newRequest(target, method);
        req.headers(h -> {
            for (String name : java.util.Collections.list(ctx.req().getHeaderNames())) {
                String lower = name.toLowerCase(java.util.Locale.ROOT);
                if (HOP_BY_HOP.contains(lower) || NOT_FORWARDED.contains(lower)) {
                    continue;
                }
                for (String value : java.util.Collections.list(ctx.req().getHeaders(name))) {
                    h.add(name, value);
                }
            }
            if (cookies != null) {
                h.put("Cookie", cookies);
            }
            h.put("Authorization", "token " + token);
            h.put("X-Forwarded-For", ctx.ip());
        });
        if (ctx.req().getContentLengthLong() != 0 && !method.equals("GET") && !method.equals("HEAD")) {
            String type = ctx.req().getContentType();
            try {
                req.body(bodyRead ? new BytesRequestContent(type, ctx.bodyAsBytes())
                        : new InputStreamRequestContent(type, traffic.countingToInstance(ctx.req().getInputStream())));
            } catch (IOException e) {
                return; // the client has gone
            }
        }
        send(ctx, req, response -> {
            ctx.status(response.getStatus());
            ctx.res().setContentType(null);
            for (HttpField field : response.getHeaders()) {
                if (!HOP_BY_HOP.contains(field.getLowerCaseName())) {
                    ctx.res().addHeader(field.getName(), field.getValue());
                }
            }
            GatewayRefusal.securityHeaders(ctx);
        }, unanswered);
    }

    Request newRequest(URI target, String method) {
        return client.newRequest(target).method(method).idleTimeout(SILENCE_MINUTES, TimeUnit.MINUTES);
    }

    /**
     * Sends the request and answers {@code ctx} with what comes back: {@code head} copies the status and headers,
     * then the body follows, each block sent on as it arrives. When the notebook server gives no answer at all,
     * {@code unanswered} says so to the client; when either side breaks off in the middle of one, the client's
     * connection is cut, so that it cannot take a part for the whole. However it ends, nothing of the exchange
     * is left open: an answer not read to its end is aborted, and with it the sending of the request's body.
     */
    void send(Context ctx, Request request, Consumer<Response> head, Consumer<Throwable> unanswered)
            throws InterruptedException {
        InputStreamResponseListener listener = new InputStreamResponseListener();
        request.send(listener);
        boolean relayed = false;
        try {
            Response response;
            try {
                // no deadline of its own: the connection's idle timeout ends a silent server, and an upload that
                // takes long but keeps moving must not be cut
                response = listener.get(Long.MAX_VALUE, TimeUnit.DAYS);
            } catch (ExecutionException | TimeoutException e) {
                unanswered.accept(e instanceof ExecutionException ee && ee.getCause() != null ? ee.getCause() : e);
                return;
            }
            head.accept(response);
            try (InputStream in = listener.getInputStream()) {
                OutputStream out = ctx.outputStream();
                // a block of what the client reads at a time (16 kB), or less for a smaller answer: a 64 kB array
                // for each of thousands of small answers a second was most of what the relay allocated
                long length = response.getHeaders().getLongField(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH);
                byte[] buf = new byte[length >= 0 && length < BLOCK ? (int) length + 1 : BLOCK];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    traffic.sentToClient(n);
                    ctx.res().flushBuffer(); // what has come goes on now (a stream of events, a long poll)
                }
                relayed = true;
            } catch (IOException e) {
                request.abort(e);
                ctx.res().sendError(-1); // Jetty's way to cut the connection, committed or not
            }
        } catch (IOException e) {
            // the client's connection is already gone
        } finally {
            if (!relayed) {
                request.abort(new IOException("the answer was not relayed to its end"));
            }
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            // stopping anyway
        }
    }
}
