// Package natstest starts a real NATS cluster for tests: Debian's
// nats-server, one process per node, each with JetStream, MQTT and its
// routes to the others, on free ports of 127.0.0.1 and state in the test's
// temp dir. Tests that need it skip when nats-server is not installed,
// unless env CI is set, where they fail.
package natstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"evalpad/sync/mqtttest"
)

// Binary is where the tests look for nats-server first.
const Binary = "/usr/sbin/nats-server"

// Cluster is the nodes of a cluster a test owns.
type Cluster struct {
	t     testing.TB
	bin   string
	Nodes []*Node
}

// Node is one nats-server of a Cluster.
type Node struct {
	Name                        string
	Port, MQTTPort, ClusterPort int
	conf                        string

	mu   sync.Mutex
	proc *os.Process
	done chan struct{}
	log  *mqtttest.SyncBuffer
}

// Start runs a cluster of n nodes; the test's cleanup kills them. Each
// node's config is Config's; extra lines are added to every node's mqtt
// block.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	bin := Binary
	if _, err := os.Stat(bin); err != nil {
		p, lerr := exec.LookPath("nats-server")
		if lerr != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("natstest: nats-server not found (%s, PATH) and CI is set", Binary)
			}
			t.Skipf("natstest: nats-server not installed (%s): skipping a test that needs a real NATS cluster", Binary)
		}
		bin = p
	}
	dir := t.TempDir()
	c := &Cluster{t: t, bin: bin}
	ports := freePorts(t, 3*n)
	for i := range n {
		c.Nodes = append(c.Nodes, &Node{Name: fmt.Sprintf("n%d", i+1), Port: ports[3*i], MQTTPort: ports[3*i+1], ClusterPort: ports[3*i+2]})
	}
	var routes []string
	for _, nd := range c.Nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", nd.ClusterPort))
	}
	for _, nd := range c.Nodes {
		nd.conf = filepath.Join(dir, nd.Name+".conf")
		if err := os.WriteFile(nd.conf, []byte(Config(nd, filepath.Join(dir, nd.Name), routes)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, nd := range c.Nodes {
		c.start(nd)
	}
	t.Cleanup(func() {
		for _, nd := range c.Nodes {
			nd.Kill()
		}
		if t.Failed() {
			for _, nd := range c.Nodes {
				t.Logf("nats-server %s's log (tail, without the retries of a route to a dead node):\n%s", nd.Name, tail(nd.log.String(), 6000))
			}
		}
	})
	c.WaitMQTT()
	return c
}

// freePorts returns n distinct TCP ports free on 127.0.0.1: each listener
// is held until all are found, so no port comes twice.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Config is a node's configuration: JetStream in dir, the cluster's
// routes, MQTT on MQTTPort with the MQTT streams on 3 replicas (the
// sessions and retained messages survive a node) and the consumers of
// the MQTT subscriptions on one replica in memory (a pad's subscription is
// made again when it connects to another node; a thousand pads' R3
// consumers would be a thousand Raft groups).
func Config(nd *Node, dir string, routes []string) string {
	replicas := min(3, len(routes))
	return fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream { store_dir: %q, max_memory_store: 256MB, max_file_store: 4GB }
cluster { name: evalpad, listen: 127.0.0.1:%d, routes: [%s] }
mqtt { listen: 127.0.0.1:%d, stream_replicas: %d, consumer_replicas: 1, consumer_memory_storage: true }
`, nd.Name, nd.Port, dir, nd.ClusterPort, strings.Join(routes, ", "), nd.MQTTPort, replicas)
}

// URLs is every node's NATS URL, comma-separated (what nats.Connect takes).
func (c *Cluster) URLs() string {
	var u []string
	for _, nd := range c.Nodes {
		u = append(u, nd.URL())
	}
	return strings.Join(u, ",")
}

// MQTTURLs is every node's MQTT URL, comma-separated.
func (c *Cluster) MQTTURLs() string {
	var u []string
	for _, nd := range c.Nodes {
		u = append(u, nd.MQTTURL())
	}
	return strings.Join(u, ",")
}

// URL is nats://127.0.0.1:PORT.
func (nd *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", nd.Port) }

// MQTTURL is tcp://127.0.0.1:MQTTPORT.
func (nd *Node) MQTTURL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", nd.MQTTPort) }

// Running reports whether the node's process is up.
func (nd *Node) Running() bool {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.proc != nil
}

// Kill sends SIGKILL to the node and reaps it; a no-op when it is down.
func (nd *Node) Kill() {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.proc == nil {
		return
	}
	nd.proc.Kill()
	<-nd.done
	nd.proc = nil
}

// Restart starts a killed node again with its state and waits until its
// MQTT listener takes clients.
func (c *Cluster) Restart(nd *Node) {
	c.t.Helper()
	c.start(nd)
	c.waitMQTT(nd)
}

func (c *Cluster) start(nd *Node) {
	c.t.Helper()
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.proc != nil {
		return
	}
	if nd.log == nil {
		nd.log = &mqtttest.SyncBuffer{}
	}
	cmd := exec.Command(c.bin, "-c", nd.conf)
	cmd.Stdout, cmd.Stderr = nd.log, nd.log
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("natstest: start nats-server %s: %v", nd.Name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	nd.proc, nd.done = cmd.Process, done
}

// WaitMQTT waits until every running node takes MQTT clients: that needs
// the cluster's JetStream up, which the MQTT sessions are kept in.
func (c *Cluster) WaitMQTT() {
	c.t.Helper()
	for _, nd := range c.Nodes {
		if nd.Running() {
			c.waitMQTT(nd)
		}
	}
}

func (c *Cluster) waitMQTT(nd *Node) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		nd.mu.Lock()
		done := nd.done
		nd.mu.Unlock()
		select {
		case <-done:
			c.t.Fatalf("natstest: nats-server %s exited: %s", nd.Name, tail(nd.log.String(), 3000))
		default:
		}
		cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(nd.MQTTURL()).SetClientID("natstest-probe").
			SetCleanSession(true).SetConnectTimeout(2 * time.Second))
		t := cl.Connect()
		if t.WaitTimeout(5*time.Second) && t.Error() == nil {
			cl.Disconnect(0)
			return
		}
		err = t.Error()
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("natstest: nats-server %s takes no MQTT client after 60 s (%v): %s", nd.Name, err, tail(nd.log.String(), 3000))
}

func tail(s string, n int) string {
	var keep []string
	for l := range strings.SplitSeq(s, "\n") {
		if !strings.Contains(l, "Error trying to connect to route") {
			keep = append(keep, l)
		}
	}
	s = strings.Join(keep, "\n")
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
