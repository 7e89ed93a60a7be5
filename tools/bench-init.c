// SPDX-License-Identifier: GPL-2.0
/*
 * /init for make bench (tools/bench.py): binds the first QEMU edu device
 * (1234:11e8) to the kernel's DMA map benchmark (kernel/dma/map_benchmark.c)
 * through driver_override, then runs the kernel's own tool,
 * tools/dma/dma_map_benchmark (packed as /dma_map_benchmark), in the legacy
 * single mode and in the record mode, alternately, BENCH_ROUNDS times each,
 * BENCH_SECONDS seconds a run; with BENCH_NC=1 each run is repeated with the
 * device treated as non-coherent.  With BENCH_MANAGED=1 it then runs, for
 * 1, 100 and 10,000 mappings outstanding, plain mappings, managed ones and
 * the 2014 devres-per-mapping design (the ring modes: SINGLE_MODE with -o,
 * MANAGED_MODE and DEVRES_MODE), alternately, BENCH_ROUNDS times each.
 * The tool prints the results; bench.py
 * reads them from the console.  Ends with "bench: done" and powers off.
 * Settings come from the kernel command line (unknown NAME=value
 * parameters are init's environment).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define PCI "/sys/bus/pci/devices"

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

static int bind_edu(void)
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
		closedir(dir);
		return 0;
	}
	closedir(dir);
	return -1;
}

static int run(int mode, int seconds, int nc, int outstanding)
{
	char m[8], s[8], o[16];
	char *argv[] = { "/dma_map_benchmark", "-t", "1", "-s", s, "-b", "64",
			 "-d", "0", "-m", m, "-o", o, nc ? "-c" : NULL, NULL };
	int status;
	pid_t pid;

	snprintf(m, sizeof(m), "%d", mode);
	snprintf(s, sizeof(s), "%d", seconds);
	snprintf(o, sizeof(o), "%d", outstanding);
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

int main(void)
{
	/* The tool's modes: 0 is SINGLE_MODE (legacy), 2 is REC_MODE. */
	static const int modes[] = { 0, 2 };
	/* 0 with -o is the plain ring, 3 MANAGED_MODE, 4 DEVRES_MODE. */
	static const int ring_modes[] = { 0, 3, 4 };
	static const int outstanding[] = { 1, 100, 10000 };
	int rounds = env_int("BENCH_ROUNDS", 3);
	int seconds = env_int("BENCH_SECONDS", 1);
	int nc_max = env_int("BENCH_NC", 0) ? 1 : 0;
	int managed = env_int("BENCH_MANAGED", 0);
	int r, i, n, nc, failed = 0;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (bind_edu()) {
		printf("bench: FAILED: no edu device could be bound\n");
		failed = 1;
	}
	for (r = 0; !failed && r < rounds; r++)
		for (nc = 0; nc <= nc_max; nc++)
			for (i = 0; i < 2; i++)
				if (run(modes[i], seconds, nc, 0)) {
					printf("bench: FAILED: mode %d%s\n",
					       modes[i], nc ? " -c" : "");
					failed = 1;
				}
	for (n = 0; managed && !failed && n < 3; n++)
		for (r = 0; !failed && r < rounds; r++)
			for (i = 0; i < 3; i++)
				if (run(ring_modes[i], seconds, 0, outstanding[n])) {
					printf("bench: FAILED: mode %d -o %d\n",
					       ring_modes[i], outstanding[n]);
					failed = 1;
				}
	printf("bench: %s\n", failed ? "FAILED" : "done");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
