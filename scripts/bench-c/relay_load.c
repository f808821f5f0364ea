// Load generator and echo sink for `deno task bench --only relay` (scripts/lib/bench_relay.ts).
// The same program drives every TURN server under test, so all of them see the same packets.
//
// One run is one measurement point. Three threads:
//   sender   binds the N client ports whose allocations the bench made (TURN binds an allocation
//            to the client's 5-tuple, not to a socket), connects each to the target and sends paced
//            packets round robin: ChannelData on channel CHANNEL to the relay (--mode relay), or the
//            bare payload to the sink (--mode direct: the baseline without a relay).
//   sink     bound at the peer address the channels point to; echoes every payload to its source
//            (in relay mode the relayed address, so the echo goes back through the relay).
//   receiver epoll over the N client sockets; checks each echo and records its round-trip time.
// Payload: magic, sequence, CLOCK_MONOTONIC send time, socket index, a "measured" flag. Packets
// of the warm-up are sent unflagged and not counted. During the measured window it samples the
// server's CPU time (/proc/PID/stat, all threads) and RSS (/proc/PID/status VmRSS).
// Prints one JSON object on stdout. Bounded: it stops by itself after warm-up + duration + drain.
// Nothing is allocated in the loops.
//
// Build: cc -O2 -pthread -o relay_load relay_load.c
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 4096
#define MAX_PAYLOAD 1400
#define BATCH 64
#define BURST 16 /* packets per socket per sendmmsg when unpaced */
#define HIST_US 1000000 /* 1 us buckets up to 1 s; later echoes go to the last bucket */
#define MAGIC 0x53504231u /* "SPB1" */
#define CHANNEL 0x4000
#define FLAG_MEASURED 1u

static struct {
  int relay; /* 1: ChannelData through the relay, 0: direct to the sink */
  struct sockaddr_in server, sink;
  int size;           /* payload bytes (without the ChannelData header) */
  double rate;        /* packets/s offered in total; 0 = as fast as the sender can */
  double warmup, duration, drain;
  int server_pid;     /* 0: no CPU/RSS sampling */
  int relay_min, relay_max; /* the relay's port range: echoes the sink sends there went through it */
  int nports;
  uint16_t ports[MAX_SOCKETS];
} opt;

static int fds[MAX_SOCKETS];
static uint32_t rx_per_socket[MAX_SOCKETS];
static uint32_t hist[HIST_US + 1];
static atomic_int stop_receiver, stop_sink;

/* receiver counters (receiver thread only) */
static uint64_t rx_measured, rx_bad, rx_total;
static uint64_t rtt_sum_ns;
/* sink counters (sink thread only) */
static uint64_t sink_measured, sink_from_relay, sink_from_other, sink_total, sink_send_fail;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t) {
  struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

static void die(const char *what) {
  printf("{\"error\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(stdout);
  exit(2);
}

static int parse_addr(const char *text, struct sockaddr_in *out) {
  char host[64];
  const char *colon = strrchr(text, ':');
  if (colon == NULL || (size_t)(colon - text) >= sizeof host) return -1;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = 0;
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)atoi(colon + 1));
  return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -1;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* /proc/PID/stat fields 14 and 15 (utime, stime) in clock ticks, all threads of the process. */
static long long proc_ticks(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  unsigned long long utime = 0, stime = 0;
  /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return -1;
  return (long long)(utime + stime);
}

static long proc_rss_kb(int pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strstr(buf, "VmRSS:");
  return p == NULL ? -1 : strtol(p + 6, NULL, 10);
}

static void *sink_main(void *arg) {
  int fd = *(int *)arg;
  static uint8_t bufs[BATCH][MAX_PAYLOAD + 64];
  static struct sockaddr_in from[BATCH];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  while (!atomic_load(&stop_sink)) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = bufs[i];
      iov[i].iov_len = sizeof bufs[i];
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue; /* SO_RCVTIMEO: look at the stop flag again */
    for (int i = 0; i < n; i++) {
      unsigned len = msgs[i].msg_len;
      sink_total++;
      if (len >= 24 && get32(bufs[i]) == MAGIC && (get32(bufs[i] + 20) & FLAG_MEASURED)) {
        sink_measured++;
        int port = ntohs(from[i].sin_port);
        if (port >= opt.relay_min && port <= opt.relay_max) sink_from_relay++;
        else sink_from_other++;
      }
      iov[i].iov_len = len;
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int sent = 0;
    while (sent < n) {
      int m = sendmmsg(fd, msgs + sent, (unsigned)(n - sent), 0);
      if (m <= 0) {
        sink_send_fail += (uint64_t)(n - sent);
        break;
      }
      sent += m;
    }
  }
  return NULL;
}

static void *receiver_main(void *arg) {
  int ep = *(int *)arg;
  static struct epoll_event events[256];
  static uint8_t bufs[BATCH][MAX_PAYLOAD + 64];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  const int header = opt.relay ? 4 : 0;
  const unsigned expect = (unsigned)(header + opt.size);
  while (!atomic_load(&stop_receiver)) {
    int ready = epoll_wait(ep, events, 256, 20);
    for (int e = 0; e < ready; e++) {
      int index = (int)events[e].data.u32;
      for (;;) {
        for (int i = 0; i < BATCH; i++) {
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = sizeof bufs[i];
          memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fds[index], msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) break;
        uint64_t now = now_ns();
        for (int i = 0; i < n; i++) {
          const uint8_t *b = bufs[i];
          rx_total++;
          if (msgs[i].msg_len != expect) { rx_bad++; continue; }
          if (opt.relay && (((b[0] << 8) | b[1]) != CHANNEL || ((b[2] << 8) | b[3]) != opt.size)) {
            rx_bad++;
            continue;
          }
          const uint8_t *p = b + header;
          if (get32(p) != MAGIC || (int)get32(p + 16) != index) { rx_bad++; continue; }
          if (!(get32(p + 20) & FLAG_MEASURED)) continue;
          uint64_t rtt = now - get64(p + 8);
          uint64_t us = rtt / 1000;
          hist[us > HIST_US ? HIST_US : us]++;
          rtt_sum_ns += rtt;
          rx_measured++;
          rx_per_socket[index]++;
        }
        if (n < BATCH) break;
      }
    }
  }
  return NULL;
}

static double percentile_us(double q) {
  if (rx_measured == 0) return -1;
  uint64_t want = (uint64_t)(q * (double)rx_measured);
  if (want >= rx_measured) want = rx_measured - 1;
  uint64_t seen = 0;
  for (int i = 0; i <= HIST_US; i++) {
    seen += hist[i];
    if (seen > want) return i + 0.5;
  }
  return HIST_US;
}

static int read_ports(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  int port;
  while (opt.nports < MAX_SOCKETS && fscanf(f, "%d", &port) == 1) opt.ports[opt.nports++] = (uint16_t)port;
  fclose(f);
  return opt.nports;
}

static void usage(void) {
  fprintf(stderr,
          "usage: relay_load --mode relay|direct --server IP:PORT --sink IP:PORT --ports FILE\n"
          "  --size BYTES --rate PPS(0=max) --warmup S --duration S --drain S\n"
          "  [--server-pid PID] [--relay-ports MIN-MAX]\n");
  exit(64);
}

int main(int argc, char **argv) {
  const char *ports_file = NULL;
  opt.relay = 1;
  opt.size = 160;
  opt.rate = 20000;
  opt.warmup = 0.5;
  opt.duration = 5;
  opt.drain = 0.3;
  opt.relay_min = 61000;
  opt.relay_max = 65535;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) usage();
    i++;
    if (!strcmp(a, "--mode")) opt.relay = strcmp(v, "direct") != 0;
    else if (!strcmp(a, "--server")) { if (parse_addr(v, &opt.server)) usage(); }
    else if (!strcmp(a, "--sink")) { if (parse_addr(v, &opt.sink)) usage(); }
    else if (!strcmp(a, "--ports")) ports_file = v;
    else if (!strcmp(a, "--size")) opt.size = atoi(v);
    else if (!strcmp(a, "--rate")) opt.rate = atof(v);
    else if (!strcmp(a, "--warmup")) opt.warmup = atof(v);
    else if (!strcmp(a, "--duration")) opt.duration = atof(v);
    else if (!strcmp(a, "--drain")) opt.drain = atof(v);
    else if (!strcmp(a, "--server-pid")) opt.server_pid = atoi(v);
    else if (!strcmp(a, "--relay-ports")) {
      if (sscanf(v, "%d-%d", &opt.relay_min, &opt.relay_max) != 2) usage();
    } else usage();
  }
  if (ports_file == NULL || opt.sink.sin_port == 0 || (opt.relay && opt.server.sin_port == 0)) usage();
  if (opt.size < 24 || opt.size > MAX_PAYLOAD) usage();
  if (opt.duration <= 0 || opt.duration > 60 || opt.warmup < 0 || opt.warmup > 30 || opt.drain < 0 ||
      opt.drain > 5)
    usage();
  if (read_ports(ports_file) <= 0) die("read ports");
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }

  /* The sink first: in relay mode the channels point at it. */
  int sink = socket(AF_INET, SOCK_DGRAM, 0);
  if (sink < 0) die("sink socket");
  int big = 4 << 20;
  setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(sink, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  struct timeval tick = {.tv_sec = 0, .tv_usec = 20000};
  setsockopt(sink, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  if (bind(sink, (struct sockaddr *)&opt.sink, sizeof opt.sink) < 0) die("sink bind");

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct sockaddr_in *target = opt.relay ? &opt.server : &opt.sink;
  for (int i = 0; i < opt.nports; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) die("client socket");
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(opt.ports[i])};
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) {
      printf("{\"error\":\"bind client port %d: %s\"}\n", opt.ports[i], strerror(errno));
      return 2;
    }
    if (connect(fd, (struct sockaddr *)target, sizeof *target) < 0) die("connect");
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    fds[i] = fd;
  }

  pthread_t sink_thread, receiver_thread;
  pthread_create(&sink_thread, NULL, sink_main, &sink);
  pthread_create(&receiver_thread, NULL, receiver_main, &ep);
  /* Unpaced, the sender would take a whole core from the server under test (2-core machines):
   * at nice 10 (this thread only) it offers what the machine can spare. */
  if (opt.rate == 0) setpriority(PRIO_PROCESS, (id_t)gettid(), 10);

  static uint8_t packet[MAX_PAYLOAD + 4];
  const int header = opt.relay ? 4 : 0;
  const size_t length = (size_t)(header + opt.size);
  for (int i = 0; i < opt.size; i++) packet[header + i] = (uint8_t)(i * 7);
  if (opt.relay) {
    packet[0] = CHANNEL >> 8;
    packet[1] = CHANNEL & 0xff;
    packet[2] = (uint8_t)(opt.size >> 8);
    packet[3] = (uint8_t)(opt.size & 0xff);
  }
  uint8_t *payload = packet + header;
  put32(payload, MAGIC);
  static uint8_t burst[BURST][MAX_PAYLOAD + 4];
  static struct iovec burst_iov[BURST];
  static struct mmsghdr burst_msgs[BURST];
  for (int i = 0; i < BURST; i++) {
    memcpy(burst[i], packet, length);
    burst_iov[i].iov_base = burst[i];
    burst_iov[i].iov_len = length;
    burst_msgs[i].msg_hdr.msg_iov = &burst_iov[i];
    burst_msgs[i].msg_hdr.msg_iovlen = 1;
  }

  uint64_t sent_measured = 0, sent_total = 0, send_errors = 0;
  uint32_t seq = 0;
  int next_socket = 0;
  const uint64_t interval = opt.rate > 0 ? (uint64_t)(1e9 / opt.rate) : 0;
  const uint64_t start = now_ns();
  const uint64_t window_start = start + (uint64_t)(opt.warmup * 1e9);
  const uint64_t window_end = window_start + (uint64_t)(opt.duration * 1e9);
  uint64_t next_send = start;
  uint64_t next_sample = window_start;
  long long ticks0 = -1, ticks1 = -1;
  long rss_first = -1, rss_last = -1, rss_max = -1;
  uint64_t t_window0 = 0, t_window1 = 0;
  uint32_t flags = 0;
  struct rusage ru0, ru1;

  for (;;) {
    uint64_t now = now_ns();
    if (now >= window_end) break;
    if (flags == 0 && now >= window_start) {
      flags = FLAG_MEASURED;
      t_window0 = now;
      getrusage(RUSAGE_SELF, &ru0);
      if (opt.server_pid > 0) ticks0 = proc_ticks(opt.server_pid);
    }
    if (opt.server_pid > 0 && flags && now >= next_sample) {
      long rss = proc_rss_kb(opt.server_pid);
      if (rss_first < 0) rss_first = rss;
      rss_last = rss;
      if (rss > rss_max) rss_max = rss;
      next_sample = now + 100000000u;
    }
    if (interval > 0 && next_send > now) {
      uint64_t wake = next_send;
      if (wake > window_end) wake = window_end;
      if (flags == 0 && wake > window_start) wake = window_start;
      sleep_until(wake);
      continue;
    }
    if (interval == 0) {
      /* Unpaced (overload): BURST packets per socket in one sendmmsg, round robin. */
      for (int i = 0; i < BURST; i++) {
        uint8_t *p = burst[i] + header;
        put32(p + 4, seq++);
        put64(p + 8, now);
        put32(p + 16, (uint32_t)next_socket);
        put32(p + 20, flags);
      }
      int m = sendmmsg(fds[next_socket], burst_msgs, BURST, 0);
      if (m > 0) {
        sent_total += (uint64_t)m;
        if (flags) sent_measured += (uint64_t)m;
      }
      send_errors += (uint64_t)(BURST - (m > 0 ? m : 0));
      if (++next_socket == opt.nports) next_socket = 0;
      continue;
    }
    /* Paced: every packet that is due (at most 256), then look at the clock again. */
    for (int n = 0; n < 256 && next_send <= now; n++) {
      put32(payload + 4, seq++);
      put64(payload + 8, now_ns());
      put32(payload + 16, (uint32_t)next_socket);
      put32(payload + 20, flags);
      if (send(fds[next_socket], packet, length, 0) == (ssize_t)length) {
        sent_total++;
        if (flags) sent_measured++;
      } else {
        send_errors++;
      }
      if (++next_socket == opt.nports) next_socket = 0;
      next_send += interval;
    }
  }
  t_window1 = now_ns();
  getrusage(RUSAGE_SELF, &ru1);
  if (opt.server_pid > 0) {
    ticks1 = proc_ticks(opt.server_pid);
    rss_last = proc_rss_kb(opt.server_pid);
    if (rss_last > rss_max) rss_max = rss_last;
  }
  sleep_until(now_ns() + (uint64_t)(opt.drain * 1e9));
  atomic_store(&stop_receiver, 1);
  atomic_store(&stop_sink, 1);
  pthread_join(receiver_thread, NULL);
  pthread_join(sink_thread, NULL);

  double window = (double)(t_window1 - t_window0) / 1e9;
  double cpu_s = ticks0 >= 0 && ticks1 >= 0 ? (double)(ticks1 - ticks0) / (double)sysconf(_SC_CLK_TCK) : -1;
  double self_cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  int silent = 0;
  for (int i = 0; i < opt.nports; i++) silent += rx_per_socket[i] == 0;
  printf("{\"mode\":\"%s\",\"sockets\":%d,\"size\":%d,\"rate\":%.0f,\"windowS\":%.4f,"
         "\"sent\":%llu,\"sentTotal\":%llu,\"sendErrors\":%llu,"
         "\"received\":%llu,\"receivedTotal\":%llu,\"bad\":%llu,\"silentSockets\":%d,"
         "\"sinkReceived\":%llu,\"sinkFromRelay\":%llu,\"sinkFromOther\":%llu,\"sinkTotal\":%llu,"
         "\"sinkSendFailures\":%llu,"
         "\"p50Us\":%.1f,\"p99Us\":%.1f,\"p999Us\":%.1f,\"meanUs\":%.1f,"
         "\"serverCpuS\":%.3f,\"rssFirstKb\":%ld,\"rssLastKb\":%ld,\"rssMaxKb\":%ld,\"loadCpuS\":%.3f}\n",
         opt.relay ? "relay" : "direct", opt.nports, opt.size, opt.rate, window,
         (unsigned long long)sent_measured, (unsigned long long)sent_total, (unsigned long long)send_errors,
         (unsigned long long)rx_measured, (unsigned long long)rx_total, (unsigned long long)rx_bad, silent,
         (unsigned long long)sink_measured, (unsigned long long)sink_from_relay,
         (unsigned long long)sink_from_other, (unsigned long long)sink_total,
         (unsigned long long)sink_send_fail,
         percentile_us(0.50), percentile_us(0.99), percentile_us(0.999),
         rx_measured ? (double)rtt_sum_ns / (double)rx_measured / 1000.0 : -1.0, cpu_s, rss_first, rss_last,
         rss_max, self_cpu);
  return 0;
}
