// SPDX-License-Identifier: GPL-2.0
/*
 * /init for the scenarios with a disk (configs/scenarios.toml, "init"):
 * real block I/O through the DMA layer after KUnit has run.
 *
 * Writes MIB MiB (24 unless the kernel command line sets MIB=) of a known
 * pattern to the disk BLK (vda unless the command line sets BLK=, say
 * BLK=mmcblk0) through the page cache, fsyncs, reads it back with
 * O_DIRECT so that the bytes come from the disk, compares, and powers off.
 * The writer runs in a child; if it has not finished after 60 s the parent
 * reports the disk's statistics and powers off, so a stalled disk is a clear
 * failure rather than a hung boot.  tools/run-scenarios.py compiles it
 * statically for the scenario's arch and packs it with the kernel's own
 * usr/gen_init_cpio.
 *
 * Lines it prints start with "blk-write: "; success is
 * "blk-write: N MiB written and read back in S s".
 *
 * Behind an IOMMU it also counts the IOMMU page-table walks that the I/O
 * causes, with a kprobe event on iommu_iova_to_phys(), and prints
 * "blk-write: W IOMMU page-table walks for R requests".  virtio_ring unmaps
 * through DMA mapping records, so W must be 0; before that it was one or
 * more per request.  Without the function (no IOMMU driver) nothing is
 * counted and nothing printed.
 *
 * Last, it prints "blk-write: N streaming DMA mappings left on virtio-pci"
 * from DMA-API debug's dump (-1 without it): the I/O is over, so N must be
 * 0, or virtio_ring leaked a mapping (by record or not).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define DEADLINE 60
#define TRACING "/sys/kernel/tracing"

static char dev[64], sysblk[96];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(unsigned char *buf, int chunk)
{
	for (int i = 0; i < CHUNK; i++)
		buf[i] = (unsigned char)(chunk * 31 + i * 7 + (i >> 12));
}

static int writer(int mib)
{
	unsigned char *buf, *want;
	double t0 = now();
	int fd, i;

	if (posix_memalign((void **)&buf, 4096, CHUNK) ||
	    posix_memalign((void **)&want, 4096, CHUNK)) {
		printf("blk-write: out of memory\n");
		return 1;
	}
	fd = open(dev, O_WRONLY);
	if (fd < 0) {
		perror("blk-write: open");
		return 1;
	}
	for (i = 0; i < mib; i++) {
		fill(buf, i);
		if (write(fd, buf, CHUNK) != CHUNK) {
			perror("blk-write: write");
			return 1;
		}
	}
	if (fsync(fd) || close(fd)) {
		perror("blk-write: fsync");
		return 1;
	}
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror("blk-write: open O_DIRECT");
		return 1;
	}
	for (i = 0; i < mib; i++) {
		fill(want, i);
		if (read(fd, buf, CHUNK) != CHUNK) {
			perror("blk-write: read");
			return 1;
		}
		if (memcmp(buf, want, CHUNK)) {
			printf("blk-write: MiB %d read back differs\n", i);
			return 1;
		}
	}
	close(fd);
	printf("blk-write: %d MiB written and read back in %.1f s\n",
	       mib, now() - t0);
	return 0;
}

static int put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok = f && fputs(text, f) >= 0;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

/*
 * Probe iommu_iova_to_phys() if the kernel has it.  Returns 1 if probed,
 * 0 if the kernel has no such function, -1 if probing failed otherwise.
 */
static int walks_probe(void)
{
	if (mount("tracefs", TRACING, "tracefs", 0, NULL)) {
		perror("blk-write: mount tracefs");
		return -1;
	}
	if (put(TRACING "/kprobe_events", "p:blkwrite/walk iommu_iova_to_phys\n"))
		return 0;
	if (put(TRACING "/events/blkwrite/walk/enable", "1")) {
		perror("blk-write: enable the kprobe event");
		return -1;
	}
	return 1;
}

/* Hits of the probe, from kprobe_profile ("walk  HITS  MISSES"). */
static long walks_count(void)
{
	FILE *f = fopen(TRACING "/kprobe_profile", "r");
	char name[64];
	long hits = -1, misses;

	while (f && fscanf(f, "%63s %ld %ld", name, &hits, &misses) == 3) {
		if (!strcmp(name, "walk"))
			break;
		hits = -1;
	}
	if (f)
		fclose(f);
	return hits;
}

/*
 * Streaming mappings that DMA-API debug still holds for virtio-pci devices
 * (the dump's first field is the driver), once the I/O is done: virtio-blk
 * maps only per request, so any left is a leak.  The rings themselves are
 * coherent allocations.  -1 without DMA-API debug's dump.
 */
static long mappings_left(void)
{
	char line[512], drv[64], name[64], type[32];
	long left = 0;
	FILE *f;

	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	f = fopen("/sys/kernel/debug/dma-api/dump", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s %31s", drv, name, type) == 3 &&
		    !strcmp(drv, "virtio-pci") && strcmp(type, "coherent"))
			left++;
	fclose(f);
	return left;
}

/* Reads and writes completed, from /sys/block/BLK/stat. */
static long requests(void)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/stat", sysblk);
	f = fopen(path, "r");
	long v[5] = { -1, 0, 0, 0, -1 };

	if (f) {
		if (fscanf(f, "%ld %ld %ld %ld %ld", &v[0], &v[1], &v[2],
			   &v[3], &v[4]) != 5)
			v[0] = -1;
		fclose(f);
	}
	return v[0] < 0 ? -1 : v[0] + v[4];
}

static void show(const char *file)
{
	char path[160], line[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sysblk, file);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	printf("blk-write: %s: %s\n", path, line);
}

int main(void)
{
	const char *env = getenv("MIB");
	const char *blk = getenv("BLK");
	int mib = env ? atoi(env) : 24;
	long reqs, walks = -1;
	int status, i, probed;
	pid_t pid;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	if (!blk || !*blk || strchr(blk, '/') || strlen(blk) > 32)
		blk = "vda";
	snprintf(dev, sizeof(dev), "/dev/%s", blk);
	snprintf(sysblk, sizeof(sysblk), "/sys/block/%s", blk);
	show("queue/max_sectors_kb");
	probed = walks_probe();
	if (probed < 0)
		printf("blk-write: FAILED: cannot count IOMMU page-table walks\n");
	reqs = requests();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		status = writer(mib);
		fflush(stdout);
		_exit(status);
	}
	for (i = 0; pid > 0 && i < DEADLINE * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (pid < 0 || i == DEADLINE * 10) {
		printf("blk-write: FAILED: not done after %d s\n", DEADLINE);
		show("stat");
		show("inflight");
		fflush(stdout);
		/* No sync(): it would wait for the stalled writes. */
		reboot(RB_POWER_OFF);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("blk-write: FAILED\n");
	if (probed > 0) {
		walks = walks_count();
		printf("blk-write: %ld IOMMU page-table walks for %ld requests\n",
		       walks, requests() - reqs);
	}
	printf("blk-write: %ld streaming DMA mappings left on virtio-pci\n",
	       mappings_left());
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
