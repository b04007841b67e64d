/* driver.c - deliver a mail corpus the way an MTA does: one process per
 * message, the message on standard input, and report throughput,
 * per-message latency and per-process peak RSS.
 *
 *   driver [-P WORKERS] [-u USER] [-E NAME=VALUE]... [-o OUT.tsv]
 *          [-n LABEL] [-x] -l LIST -- COMMAND [ARG...]
 *
 * LIST has one message a line: PATH<TAB>CLASS<TAB>SIZE (CLASS and SIZE
 * are optional; SIZE is taken from the file when missing).  Up to
 * WORKERS (default 1) processes run at once, like an MTA's pipe
 * transport with a process limit: a new one starts as soon as one ends.
 *
 * A command's first word may be @LABEL[:USER][%DIR]: several commands are
 * run in turn for each message (interleaved, so that a changing load on
 * the machine weighs on all alike); USER drops root privileges; DIR takes
 * the message from DIR/BASENAME instead (a variant of the corpus).
 *
 * For each message the driver forks, opens PATH as the child's standard
 * input, optionally drops root privileges to USER (for Dovecot's LDA,
 * which refuses to deliver as root without an auth server), and execs
 * COMMAND.  Latency is fork to wait4(); peak RSS is wait4()'s ru_maxrss
 * (the child's own peak, in KiB).  Any token "%f" in COMMAND is replaced
 * by PATH, "%n" by the message's index (for commands that need a name).
 *
 * OUT.tsv (per message): index class size latency_us maxrss_kib status
 * The summary goes to standard output as "key=value" words on one line,
 * for bench/run to put in its table:
 *   label n ok fail wall_s msg_s p50_ms p90_ms p99_ms max_ms rss_max_kib
 *   rss_over (messages whose peak RSS exceeded 2 x size + 16 MiB)
 * With -x a non-zero exit status of any child makes the driver exit 1.
 *
 * Called as "recording-sendmail" (a link to the driver), it is a one-process
 * version of tests/recording-sendmail: argv one per line to
 * $DM_SENDMAIL_DIR/N.argv, the message to N.eml (each written as .tmp and
 * renamed), exit 75 while $DM_SENDMAIL_DIR/FAIL exists.  The shell script
 * starts four more programs (date, cat, mv, mv); this shows what a
 * sendmail that is one small process costs.  Called as "null-sendmail" it
 * only reads the message: the cost of handing it over at all. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct item {
	char *path;
	char *class;
	long long size;
};

/* One command: -- [@LABEL[:USER]] PROGRAM ARGS... [@LABEL2 ...] */
struct cmdgroup {
	const char *label;
	char **argv;
	int argc;
	const char *altdir; /* stdin from ALTDIR/basename(PATH) instead */
	int drop; /* change to uid/gid before exec */
	uid_t uid;
	gid_t gid;
};

/* One process: message ITEM delivered by command GROUP. */
struct job {
	size_t item;
	int group;
	long long start_ns, end_ns;
	long maxrss_kib;
	long cpu_us;
	int status;
	pid_t pid;
};

static long long
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *) a, y = *(const long long *) b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static long long
pct(const long long *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t k = (size_t) (p / 100.0 * (double) n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static struct item *
read_list(const char *file, size_t *n_out)
{
	FILE *f = fopen(file, "r");
	if (f == NULL)
		die(file);
	size_t n = 0, cap = 1024;
	struct item *items = calloc(cap, sizeof *items);
	char *line = NULL;
	size_t len = 0;
	ssize_t got;
	while ((got = getline(&line, &len, f)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (got == 0 || line[0] == '#')
			continue;
		if (n == cap) {
			cap *= 2;
			items = realloc(items, cap * sizeof *items);
			memset(items + n, 0, (cap - n) * sizeof *items);
		}
		char *save = NULL;
		char *path = strtok_r(line, "\t", &save);
		char *class = strtok_r(NULL, "\t", &save);
		char *size = strtok_r(NULL, "\t", &save);
		items[n].path = strdup(path);
		items[n].class = strdup(class ? class : "-");
		if (size) {
			items[n].size = atoll(size);
		} else {
			struct stat st;
			if (stat(path, &st) != 0)
				die(path);
			items[n].size = st.st_size;
		}
		n++;
	}
	free(line);
	fclose(f);
	*n_out = n;
	return items;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t) w;
	}
	return 0;
}

static int
recording_sendmail(int argc, char **argv)
{
	const char *dir = getenv("DM_SENDMAIL_DIR");
	char path[4400], tmp[4400], buf[65536];
	if (dir == NULL) {
		fprintf(stderr, "recording-sendmail: DM_SENDMAIL_DIR is not set\n");
		return 75;
	}
	snprintf(path, sizeof path, "%s/FAIL", dir);
	if (access(path, F_OK) == 0) {
		while (read(0, buf, sizeof buf) > 0)
			;
		fprintf(stderr, "recording-sendmail: told to fail\n");
		return 75;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char stem[4200];
	snprintf(stem, sizeof stem, "%s/%lld%09ld.%d", dir, (long long) ts.tv_sec, ts.tv_nsec, (int) getpid());
	/* argv */
	snprintf(tmp, sizeof tmp, "%s.argv.tmp", stem);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		return 75;
	for (int i = 1; i < argc; i++)
		if (write_all(fd, argv[i], strlen(argv[i])) != 0 || write_all(fd, "\n", 1) != 0)
			return 75;
	close(fd);
	/* the message */
	char tmp2[4400];
	snprintf(tmp2, sizeof tmp2, "%s.eml.tmp", stem);
	fd = open(tmp2, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		return 75;
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (write_all(fd, buf, (size_t) n) != 0)
			return 75;
	if (n < 0 || close(fd) != 0)
		return 75;
	snprintf(path, sizeof path, "%s.eml", stem);
	if (rename(tmp2, path) != 0)
		return 75;
	snprintf(path, sizeof path, "%s.argv", stem);
	return rename(tmp, path) == 0 ? 0 : 75;
}

int
main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');
	if (strcmp(me ? me + 1 : argv[0], "recording-sendmail") == 0)
		return recording_sendmail(argc, argv);
	if (strcmp(me ? me + 1 : argv[0], "null-sendmail") == 0) {
		char buf[65536];
		while (read(0, buf, sizeof buf) > 0)
			;
		return 0;
	}

	int workers = 1, strict = 0;
	const char *list = NULL, *out = NULL, *label = "run";
	char **envs = calloc((size_t) argc + 1, sizeof *envs);
	int nenv = 0;
	int c;
	while ((c = getopt(argc, argv, "+P:E:o:l:n:x")) != -1) {
		switch (c) {
		case 'P': workers = atoi(optarg); break;
		case 'E': envs[nenv++] = optarg; break;
		case 'o': out = optarg; break;
		case 'l': list = optarg; break;
		case 'n': label = optarg; break;
		case 'x': strict = 1; break;
		default:
			fprintf(stderr, "usage: driver [-P N] [-E N=V] [-o OUT] [-n LABEL] [-x] -l LIST -- "
					"[@LABEL[:USER]] CMD... [@LABEL2 CMD2...]\n");
			return 2;
		}
	}
	if (list == NULL || optind >= argc || workers < 1) {
		fprintf(stderr, "driver: need -l LIST and a command\n");
		return 2;
	}

	/* The commands: interleaved per message when there are several. */
	struct cmdgroup *groups = calloc((size_t) argc, sizeof *groups);
	int ngroups = 0;
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '@' || ngroups == 0) {
			struct cmdgroup *g = &groups[ngroups++];
			g->label = label;
			if (argv[i][0] == '@') {
				char *l = argv[i] + 1, *alt = strchr(l, '%');
				if (alt) {
					*alt++ = '\0';
					g->altdir = alt;
				}
				char *u = strchr(l, ':');
				if (u) {
					*u++ = '\0';
					struct passwd *pw = getpwnam(u);
					if (pw == NULL) {
						fprintf(stderr, "driver: no user %s\n", u);
						return 2;
					}
					g->drop = 1;
					g->uid = pw->pw_uid;
					g->gid = pw->pw_gid;
				}
				g->label = l;
				argv[i] = NULL; /* ends the previous group's argv */
				g->argv = argv + i + 1;
				continue;
			}
			g->argv = argv + i;
		}
		groups[ngroups - 1].argc++;
	}
	for (int i = 0; i < ngroups; i++) {
		if (groups[i].argc == 0) {
			fprintf(stderr, "driver: command @%s is empty\n", groups[i].label);
			return 2;
		}
		groups[i].argv = memcpy(calloc((size_t) groups[i].argc + 1, sizeof(char *)), groups[i].argv,
					(size_t) groups[i].argc * sizeof(char *));
	}
	for (int i = 0; i < nenv; i++)
		putenv(envs[i]);

	size_t n;
	struct item *items = read_list(list, &n);
	if (n == 0) {
		fprintf(stderr, "driver: %s is empty\n", list);
		return 2;
	}
	size_t njobs = n * (size_t) ngroups;
	struct job *jobs = calloc(njobs, sizeof *jobs);
	for (size_t j = 0; j < njobs; j++) {
		jobs[j].item = j / (size_t) ngroups;
		jobs[j].group = (int) (j % (size_t) ngroups);
	}
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		die("/dev/null");
	char idx[32];
	char **args = calloc((size_t) argc + 1, sizeof *args);

	size_t next = 0, done = 0;
	int running = 0;
	long long t0 = now_ns();
	long long *group_ns = calloc((size_t) ngroups, sizeof *group_ns);
	while (done < njobs) {
		while (running < workers && next < njobs) {
			struct job *jb = &jobs[next];
			struct item *it = &items[jb->item];
			struct cmdgroup *g = &groups[jb->group];
			snprintf(idx, sizeof idx, "%zu", jb->item);
			for (int i = 0; i < g->argc; i++)
				args[i] = strcmp(g->argv[i], "%f") == 0 ? it->path
					: strcmp(g->argv[i], "%n") == 0 ? idx : g->argv[i];
			args[g->argc] = NULL;
			char altpath[4096];
			const char *path = it->path;
			if (g->altdir) {
				const char *base = strrchr(it->path, '/');
				snprintf(altpath, sizeof altpath, "%s/%s", g->altdir, base ? base + 1 : it->path);
				path = altpath;
			}
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				die(path);
			jb->start_ns = now_ns();
			pid_t pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0) {
				if (dup2(fd, 0) < 0 || dup2(devnull, 1) < 0)
					_exit(126);
				if (g->drop && (setgroups(0, NULL) != 0 || setgid(g->gid) != 0 || setuid(g->uid) != 0))
					_exit(126);
				execv(args[0], args);
				_exit(127);
			}
			close(fd);
			jb->pid = pid;
			next++;
			running++;
		}
		int status;
		struct rusage ru;
		pid_t pid = wait4(-1, &status, 0, &ru);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			die("wait4");
		}
		long long t = now_ns();
		for (size_t i = next; i-- > 0;) {
			struct job *jb = &jobs[i];
			if (jb->pid == pid && jb->end_ns == 0) {
				jb->end_ns = t;
				jb->maxrss_kib = ru.ru_maxrss;
				jb->cpu_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
					     ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
				jb->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				group_ns[jb->group] += jb->end_ns - jb->start_ns;
				break;
			}
		}
		running--;
		done++;
	}
	long long wall = now_ns() - t0;

	FILE *o = NULL;
	if (out && (o = fopen(out, "w")) == NULL)
		die(out);
	long long *lat = calloc(n, sizeof *lat);
	int any_fail = 0;
	for (int g = 0; g < ngroups; g++) {
		long rss_max = 0;
		long long cpu = 0;
		size_t ok = 0, fail = 0, over = 0, k = 0;
		for (size_t j = (size_t) g; j < njobs; j += (size_t) ngroups) {
			struct job *jb = &jobs[j];
			struct item *it = &items[jb->item];
			long long us = (jb->end_ns - jb->start_ns) / 1000;
			lat[k++] = us;
			cpu += jb->cpu_us;
			if (jb->status == 0)
				ok++;
			else
				fail++;
			if (jb->maxrss_kib > rss_max)
				rss_max = jb->maxrss_kib;
			if ((long long) jb->maxrss_kib * 1024 > 2 * it->size + 16LL * 1024 * 1024)
				over++;
			if (o)
				fprintf(o, "%s\t%zu\t%s\t%lld\t%lld\t%ld\t%ld\t%d\n", groups[g].label, jb->item, it->class,
					it->size, us, jb->maxrss_kib, jb->cpu_us, jb->status);
			if (jb->status != 0 && fail <= 5)
				fprintf(stderr, "driver: @%s %s exited %d\n", groups[g].label, it->path, jb->status);
		}
		qsort(lat, k, sizeof *lat, cmp_ll);
		/* With one command the rate is the run's; interleaved, each
		 * command's share of the time is its own. */
		double secs = ngroups == 1 ? wall / 1e9 : group_ns[g] / 1e9;
		printf("label=%s workers=%d n=%zu ok=%zu fail=%zu wall_s=%.3f msg_s=%.2f mean_ms=%.2f p50_ms=%.2f "
		       "p90_ms=%.2f p99_ms=%.2f max_ms=%.2f cpu_ms=%.2f rss_max_kib=%ld rss_over=%zu\n",
		       groups[g].label, workers, k, ok, fail, secs, k / secs, group_ns[g] / 1e6 / (double) k,
		       pct(lat, k, 50) / 1000.0, pct(lat, k, 90) / 1000.0, pct(lat, k, 99) / 1000.0,
		       lat[k - 1] / 1000.0, cpu / 1000.0 / (double) k, rss_max, over);
		any_fail |= fail != 0;
	}
	if (o)
		fclose(o);
	return strict && any_fail ? 1 : 0;
}
