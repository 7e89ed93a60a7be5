// SPDX-License-Identifier: GPL-2.0
/*
 * /init for the scenarios with a disk (configs/scenarios.toml, "init"):
 * real block I/O through the DMA layer after KUnit has run.
 *
 * Writes MIB MiB (24 unless the kernel command line sets MIB=) of a known
 * pattern to /dev/vda through the page cache, fsyncs, reads it back with
 * O_DIRECT so that the bytes come from the disk, compares, and powers off.
 * The writer runs in a child; if it has not finished after 60 s the parent
 * reports the disk's statistics and powers off, so a stalled disk is a clear
 * failure rather than a hung boot.  tools/run-scenarios.py compiles it
 * statically for the scenario's arch and packs it with the kernel's own
 * usr/gen_init_cpio.
 *
 * Lines it prints start with "blk-write: "; success is
 * "blk-write: N MiB written and read back in S s".
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
	fd = open("/dev/vda", O_WRONLY);
	if (fd < 0) {
		perror("blk-write: open /dev/vda");
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
	fd = open("/dev/vda", O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror("blk-write: open /dev/vda O_DIRECT");
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

static void show(const char *path)
{
	char line[256] = "";
	FILE *f = fopen(path, "r");

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
	int mib = env ? atoi(env) : 24;
	int status, i;
	pid_t pid;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	show("/sys/block/vda/queue/max_sectors_kb");
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
		show("/sys/block/vda/stat");
		show("/sys/block/vda/inflight");
		fflush(stdout);
		/* No sync(): it would wait for the stalled writes. */
		reboot(RB_POWER_OFF);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("blk-write: FAILED\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
