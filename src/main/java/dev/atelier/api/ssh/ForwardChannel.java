package dev.atelier.api.ssh;

import dev.atelier.core.model.Instance;
import dev.atelier.core.port.InstanceShell;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelAsyncOutputStream;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.channel.AbstractServerChannel;
import org.apache.sshd.server.forward.TcpForwardingFilter;

/**
 * A {@code direct-tcpip} channel ({@code ssh -L}, {@code ssh -W}, VS Code's tunnels) to a port of the instance's own:
 * where the instance has a network of its own, through a relay that the runtime runs inside it (as the instance's
 * user, connected to 127.0.0.1 there), so that a port the instance listens on is never confused with the host's
 * port of the same number; elsewhere straight to the host's 127.0.0.1. Who may connect where is the gateway's
 * forwarding filter's to say, as for any forwarding.
 */
final class ForwardChannel extends AbstractServerChannel {
    static final String TYPE = "direct-tcpip";

    private final InstanceShell runtime;
    private final Instance instance;
    private ChannelAsyncOutputStream out;
    private OutputStream toTarget;
    private AutoCloseable target;

    private ForwardChannel(InstanceShell runtime, Instance instance) {
        super(null);
        this.runtime = runtime;
        this.instance = instance;
    }

    /** Makes these channels for sessions whose instance is {@code instanceOf} of the session. */
    static ChannelFactory factory(InstanceShell runtime, java.util.function.Function<Session, Instance> instanceOf) {
        return new ChannelFactory() {
            @Override
            public String getName() {
                return TYPE;
            }

            @Override
            public Channel createChannel(Session session) {
                return new ForwardChannel(runtime, instanceOf.apply(session));
            }
        };
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        String host = buffer.getString();
        int port = buffer.getInt();
        OpenFuture opened = new DefaultOpenFuture(this, this);
        Session session = getSession();
        TcpForwardingFilter filter = session.getFactoryManager().getTcpForwardingFilter();
        if (instance == null || filter == null || !filter.canConnect(TcpForwardingFilter.Type.Direct,
                new SshdSocketAddress(host, port), session)) {
            opened.setException(new SshChannelOpenException(getChannelId(),
                    SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED, "Connection denied"));
            close(true);
            return opened;
        }
        // connecting may take a relay's start: off the session's thread, and the channel confirmed only once connected
        Thread.ofVirtual().name("ssh-forward-" + port).start(() -> connect(port, opened));
        return opened;
    }

    private void connect(int port, OpenFuture opened) {
        InputStream fromTarget;
        try {
            InstanceShell.Connection connection = runtime.connect(instance.id(), port);
            target = connection;
            fromTarget = connection.in();
            toTarget = connection.out();
        } catch (IOException | RuntimeException e) {
            closeTarget();
            signalChannelOpenFailure(e);
            opened.setException(new SshChannelOpenException(getChannelId(), SshConstants.SSH_OPEN_CONNECT_FAILED,
                    e.getMessage(), e));
            close(true);
            return;
        }
        out = new ChannelAsyncOutputStream(this, SshConstants.SSH_MSG_CHANNEL_DATA);
        signalChannelOpenSuccess();
        opened.setOpened();
        pump(fromTarget);
    }

    /** What the target sends goes to the client, as fast as the client's window lets it. */
    private void pump(InputStream fromTarget) {
        byte[] chunk = new byte[32 * 1024];
        try {
            for (int n; (n = fromTarget.read(chunk)) > 0; ) {
                out.writeBuffer(new ByteArrayBuffer(chunk, 0, n)).verify(60_000);
            }
            sendEof();
        } catch (IOException | RuntimeException e) {
            log.debug("forwarding channel {}: {}", this, e.toString());
        } finally {
            close(false);
        }
    }

    @Override
    protected void doWriteData(byte[] data, int off, long len) throws IOException {
        toTarget.write(data, off, (int) len);
        toTarget.flush();
        var window = getLocalWindow();
        if (window.isOpen()) {
            window.release(len); // written: the client may send as much again
        }
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) {
        throw new UnsupportedOperationException("a forwarding channel carries no extended data");
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        if (toTarget != null) {
            toTarget.close(); // the client is done sending: so is the connection it asked for
        }
    }

    @Override
    public void handleWindowAdjust(Buffer buffer) throws IOException {
        super.handleWindowAdjust(buffer);
        if (out != null) {
            out.onWindowExpanded();
        }
    }

    @Override
    protected void preClose() {
        closeTarget();
        super.preClose();
    }

    private void closeTarget() {
        AutoCloseable t = target;
        target = null;
        if (t != null) {
            try {
                t.close();
            } catch (Exception e) {
                log.debug("closing the target of {}: {}", this, e.toString());
            }
        }
    }
}
