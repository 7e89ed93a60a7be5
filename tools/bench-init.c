// SPDX-License-Identifier: GPL-2.0
/*
 * /init for make bench (tools/bench.py): binds the first QEMU edu device
 * (1234:11e8) to the kernel's DMA map benchmark (kernel/dma/map_benchmark.c)
 * through driver_override, then runs the kernel's own tool,
 * tools/dma/dma_map_benchmark (packed as /dma_map_benchmark), BENCH_ROUNDS
 * rounds of BENCH_SECONDS-second runs.  A round runs each side in turn:
 *
 *   legacy-7.3  the legacy single mode with Linux 7.3's unmap, which walks
 *               the IOMMU page table every time: the bench kernel's knob
 *               dma_iommu.bench_unmap_walks (configs/bench-kernel.patch) is
 *               set for the run.  Only where the device is behind an IOMMU
 *               (it has an iommu_group) and the knob exists: elsewhere
 *               fixes 6 changes nothing.
 *   legacy      the legacy single mode, with fixes 6's unmap
 *   record      the record mode
 *
 * for each thread count of BENCH_THREADS (a comma-separated list, default
 * 1: the tool's -t), and with BENCH_NC=1 again with the device treated as
 * non-coherent.  With BENCH_LEN=N they map N bytes of the page (the tool's
 * -l), so that dma-iommu bounces them on an untrusted device.  After the
 * sides, one more legacy run counts swiotlb's bounces through its
 * swiotlb_bounced trace event and prints "bench: swiotlb bounces in a
 * check run: N", so that a boot meant to bounce is seen to.  With BENCH_MANAGED=1 it then runs, for 1, 100 and 10,000
 * mappings outstanding, plain mappings, managed ones and the 2014
 * devres-per-mapping design (the ring modes: SINGLE_MODE with -o,
 * MANAGED_MODE and DEVRES_MODE), alternately, BENCH_ROUNDS times each.
 * Before each run it prints "bench: side NAME"; the tool prints the
 * results, and bench.py reads both from the console.
 *
 * With BENCH_BLK=1 it runs no map benchmark but the end-to-end case
 * instead: 4 KiB O_DIRECT random reads, then writes, on /dev/vda (a
 * virtio-blk disk whose I/O goes through the DMA API), at queue depth 1
 * and 32 through Linux AIO, BENCH_BLK_REQS requests each, for the same
 * three sides.  Between sides virtio_blk is bound again, so that its rings
 * are created again: the bench kernel's virtio_ring.bench_no_recs keeps
 * records out of the rings of both legacy sides.  It counts the guest's
 * instructions over each run with perf_event_open() (arm64's PMUv3, which
 * QEMU counts from icount; x86's TCG has no PMU, and there it prints the
 * guest's nanoseconds only) and prints "bench: blk SIDE OP qdN: R
 * requests, I instructions, T ns".  Ends with
 * "bench: done" and powers off.  Settings come from the kernel command line
 * (unknown NAME=value parameters are init's environment).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PCI "/sys/bus/pci/devices"
#define WALKS "/sys/module/dma_iommu/parameters/bench_unmap_walks"
#define NO_RECS "/sys/module/virtio_ring/parameters/bench_no_recs"
#define VIRTIO_BLK "/sys/bus/virtio/drivers/virtio_blk"
#define BLK_QD_MAX 32
#define TRACING "/sys/kernel/tracing"
#define BOUNCED TRACING "/events/swiotlb/swiotlb_bounced/enable"
#define MAX_THREADS 8

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v ? atoi(v) : def;
}

static int read_hex(const char *dev, const char *file)
{
	char path[256], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), PCI "/%s/%s", dev, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return (int)strtol(buf, NULL, 16);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* Binds the first edu device; fills @dev with its name. */
static int bind_edu(char *dev, size_t len)
{
	char path[320];
	struct dirent *d;
	DIR *dir = opendir(PCI);

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (read_hex(d->d_name, "vendor") != 0x1234 ||
		    read_hex(d->d_name, "device") != 0x11e8)
			continue;
		snprintf(path, sizeof(path), PCI "/%s/driver_override",
			 d->d_name);
		if (write_file(path, "dma_map_benchmark") ||
		    write_file("/sys/bus/pci/drivers_probe", d->d_name))
			break;
		printf("bench: edu %s bound to dma_map_benchmark\n", d->d_name);
		snprintf(dev, len, "%s", d->d_name);
		closedir(dir);
		return 0;
	}
	closedir(dir);
	return -1;
}

static int run(const char *side, int mode, int seconds, int nc,
	       int outstanding, int threads, int len)
{
	char m[8], s[8], o[16], t[8], l[16];
	char *argv[] = { "/dma_map_benchmark", "-t", t, "-s", s, "-b", "64",
			 "-d", "0", "-m", m, "-o", o, "-l", l,
			 nc ? "-c" : NULL, NULL };
	int status;
	pid_t pid;

	/* Only the 7.3 side unmaps with the walk. */
	if (!access(WALKS, F_OK) &&
	    write_file(WALKS, strcmp(side, "legacy-7.3") ? "N" : "Y")) {
		printf("bench: FAILED: cannot write " WALKS "\n");
		return -1;
	}
	snprintf(m, sizeof(m), "%d", mode);
	snprintf(s, sizeof(s), "%d", seconds);
	snprintf(o, sizeof(o), "%d", outstanding);
	snprintf(t, sizeof(t), "%d", threads);
	snprintf(l, sizeof(l), "%d", len);
	printf("bench: side %s\n", side);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		perror("bench: exec /dma_map_benchmark");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

/* The guest's instructions so far, from CPU 0's counter; -1 without one. */
static int64_t instructions(int fd)
{
	uint64_t n;

	return fd >= 0 && read(fd, &n, sizeof(n)) == sizeof(n) ? (int64_t)n : -1;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The virtio device that virtio_blk drives ("virtio2"), into @dev. */
static int find_blk(char *dev, size_t len)
{
	struct dirent *d;
	DIR *dir = opendir(VIRTIO_BLK);

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "virtio", 6)) {
			snprintf(dev, len, "%s", d->d_name);
			closedir(dir);
			return 0;
		}
	closedir(dir);
	return -1;
}

/*
 * Binds virtio_blk to @dev again, so that its rings are made anew, and
 * opens /dev/vda once devtmpfs has it back.
 */
static int rebind_blk(const char *dev)
{
	int fd, i;

	if (write_file(VIRTIO_BLK "/unbind", dev) ||
	    write_file(VIRTIO_BLK "/bind", dev))
		return -1;
	for (i = 0; i < 100; i++) {
		fd = open("/dev/vda", O_RDWR | O_DIRECT);
		if (fd >= 0)
			return fd;
		usleep(100000);
	}
	return -1;
}

/*
 * @reqs 4 KiB requests at random offsets of the first @blocks 4 KiB blocks,
 * reads or writes, @qd in flight.  Prints one "bench: blk" line.
 */
static int blk_run(const char *side, int fd, int counter, int write,
		   int qd, int reqs, long blocks)
{
	static unsigned char buf[BLK_QD_MAX][4096] __attribute__((aligned(4096)));
	struct iocb cbs[BLK_QD_MAX], *cbp[BLK_QD_MAX];
	struct io_event ev[BLK_QD_MAX];
	aio_context_t ctx = 0;
	int64_t i0, t0;
	int slots[BLK_QD_MAX], nfree = qd;
	int i, n, sent = 0, done = 0, failed = 0;

	if (syscall(SYS_io_setup, qd, &ctx))
		return -1;
	memset(buf, 0x5a, sizeof(buf));
	memset(cbs, 0, sizeof(cbs));
	for (i = 0; i < qd; i++) {
		cbs[i].aio_fildes = fd;
		cbs[i].aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cbs[i].aio_buf = (uintptr_t)buf[i];
		cbs[i].aio_nbytes = 4096;
		cbs[i].aio_data = i;
		slots[i] = i;
	}
	srandom(1);
	i0 = instructions(counter);
	t0 = now_ns();
	while (done < reqs && !failed) {
		/* Keep @qd requests in flight, each slot reused when it is back. */
		for (n = 0; sent < reqs && nfree; n++, sent++) {
			cbp[n] = &cbs[slots[--nfree]];
			cbp[n]->aio_offset = (random() % blocks) * 4096;
		}
		if (n && syscall(SYS_io_submit, ctx, n, cbp) != n)
			failed = 1;
		n = failed ? 0 : syscall(SYS_io_getevents, ctx, 1, qd, ev, NULL);
		for (i = 0; i < n; i++) {
			failed |= ev[i].res != 4096;
			slots[nfree++] = ev[i].data;
		}
		failed |= n < 0;
		done += n > 0 ? n : 0;
	}
	printf("bench: blk %s %s qd%d: %d requests, %lld instructions, %lld ns%s\n",
	       side, write ? "write" : "read", qd, done,
	       counter >= 0 ? (long long)(instructions(counter) - i0) : -1LL,
	       (long long)(now_ns() - t0), failed ? " FAILED" : "");
	syscall(SYS_io_destroy, ctx);
	return failed ? -1 : 0;
}

/* The end-to-end case of BENCH_BLK=1, sides from @from on. */
static int blk_bench(int rounds, int from, int reqs)
{
	static const char *const sides[] = { "legacy-7.3", "legacy", "record" };
	static const int qds[] = { 1, BLK_QD_MAX };
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
	};
	char dev[256], size[32] = "";
	int r, i, q, w, fd, counter;
	long blocks;
	FILE *f;

	if (find_blk(dev, sizeof(dev)) || access(NO_RECS, F_OK)) {
		printf("bench: FAILED: no virtio-blk disk, or no " NO_RECS "\n");
		return -1;
	}
	f = fopen("/sys/block/vda/size", "r");
	if (!f || !fgets(size, sizeof(size), f))
		size[0] = '\0';
	if (f)
		fclose(f);
	/* 512-byte sectors, in 4 KiB blocks. */
	blocks = atol(size) / 8;
	if (blocks < 1) {
		printf("bench: FAILED: /dev/vda has no size\n");
		return -1;
	}
	/* CPU 0, every task: with the boot's one CPU, the whole guest. */
	counter = syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
	if (counter < 0)
		printf("bench: blk: no instruction counter (perf_event_open: %m): ns only\n");
	for (r = 0; r < rounds; r++)
		for (i = from; i < 3; i++) {
			if (write_file(NO_RECS, i < 2 ? "Y" : "N") ||
			    (!access(WALKS, F_OK) &&
			     write_file(WALKS, i ? "N" : "Y"))) {
				printf("bench: FAILED: cannot set the knobs\n");
				return -1;
			}
			fd = rebind_blk(dev);
			if (fd < 0) {
				printf("bench: FAILED: virtio_blk did not bind %s again\n",
				       dev);
				return -1;
			}
			for (w = 0; w < 2; w++)
				for (q = 0; q < 2; q++)
					if (blk_run(sides[i], fd, counter, w, qds[q],
						    reqs, blocks)) {
						close(fd);
						return -1;
					}
			close(fd);
		}
	return 0;
}

/*
 * The swiotlb_bounced events of one legacy run of the map benchmark, from
 * the trace buffers' counts of entries and of entries overwritten; -1 if
 * tracefs cannot tell.
 */
static long bounces(int len)
{
	char path[64], line[128];
	long n = 0, v;
	int cpu;
	FILE *f;

	mount("tracefs", TRACING, "tracefs", 0, NULL);
	/* Opening "trace" for writing with O_TRUNC empties the buffers. */
	close(open(TRACING "/trace", O_WRONLY | O_TRUNC));
	if (write_file(BOUNCED, "1"))
		return -1;
	if (run("check", 0, 1, 0, 0, 1, len))
		n = -1;
	write_file(BOUNCED, "0");
	for (cpu = 0; n >= 0; cpu++) {
		snprintf(path, sizeof(path), TRACING "/per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "entries: %ld", &v) == 1 ||
			    sscanf(line, "overrun: %ld", &v) == 1)
				n += v;
		fclose(f);
	}
	return cpu ? n : -1;
}

/* BENCH_THREADS: up to MAX_THREADS counts of 1 to 64; 0 on a bad list. */
static int thread_counts(int *counts)
{
	const char *v = getenv("BENCH_THREADS");
	char *end;
	int n = 0;

	if (!v)
		v = "1";
	while (*v && n < MAX_THREADS) {
		counts[n] = strtol(v, &end, 10);
		if (end == v || counts[n] < 1 || counts[n] > 64 ||
		    (*end && *end != ','))
			return 0;
		n++;
		v = *end ? end + 1 : end;
	}
	return *v ? 0 : n;
}

int main(void)
{
	/* The tool's modes: 0 is SINGLE_MODE (legacy), 2 is REC_MODE. */
	static const char *const sides[] = { "legacy-7.3", "legacy", "record" };
	static const int modes[] = { 0, 0, 2 };
	/* 0 with -o is the plain ring, 3 MANAGED_MODE, 4 DEVRES_MODE. */
	static const char *const ring_sides[] = { "plain", "managed", "devres" };
	static const int ring_modes[] = { 0, 3, 4 };
	static const int outstanding[] = { 1, 100, 10000 };
	int rounds = env_int("BENCH_ROUNDS", 3);
	int seconds = env_int("BENCH_SECONDS", 1);
	int nc_max = env_int("BENCH_NC", 0) ? 1 : 0;
	int managed = env_int("BENCH_MANAGED", 0);
	int len = env_int("BENCH_LEN", 0);
	int blk = env_int("BENCH_BLK", 0);
	int threads[MAX_THREADS], nthreads = thread_counts(threads);
	int r, i, n, t, nc, failed = 0;
	/* The first side to run: 0 with the 7.3 side, 1 without. */
	int from = 1;
	char dev[256], path[320];

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (!nthreads) {
		printf("bench: FAILED: BENCH_THREADS must list 1 to %d counts of 1 to 64\n",
		       MAX_THREADS);
		failed = 1;
	} else if (bind_edu(dev, sizeof(dev))) {
		printf("bench: FAILED: no edu device could be bound\n");
		failed = 1;
	} else {
		snprintf(path, sizeof(path), PCI "/%s/iommu_group", dev);
		from = access(WALKS, F_OK) || access(path, F_OK);
		if (from)
			printf("bench: no legacy-7.3 side: %s\n",
			       access(path, F_OK) ? "the device is behind no IOMMU" :
			       "the kernel has no " WALKS);
	}
	if (!failed && blk && blk_bench(rounds, from,
					env_int("BENCH_BLK_REQS", 2000)))
		failed = 1;
	for (r = 0; !failed && !blk && r < rounds; r++)
		for (t = 0; t < nthreads; t++)
			for (nc = 0; nc <= nc_max; nc++)
				for (i = from; i < 3; i++)
					if (!failed &&
					    run(sides[i], modes[i], seconds, nc, 0,
						threads[t], len)) {
						printf("bench: FAILED: %s -t %d%s\n",
						       sides[i], threads[t],
						       nc ? " -c" : "");
						failed = 1;
					}
	if (!failed && !blk)
		printf("bench: swiotlb bounces in a check run: %ld\n", bounces(len));
	for (n = 0; managed && !blk && !failed && n < 3; n++)
		for (r = 0; !failed && r < rounds; r++)
			for (i = 0; i < 3; i++)
				if (run(ring_sides[i], ring_modes[i], seconds, 0,
					outstanding[n], 1, 0)) {
					printf("bench: FAILED: %s -o %d\n",
					       ring_sides[i], outstanding[n]);
					failed = 1;
				}
	printf("bench: %s\n", failed ? "FAILED" : "done");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
