/* The kernel half of `strata monitor`: tracepoint programs that turn process, file,
 * network and privilege syscalls into records on one ring buffer.
 *
 * Record layout (native endian; decoded by src/record.rs, which must stay in step):
 *
 *   0  u64 ts          bpf_ktime_get_boot_ns()
 *   8  u64 cgroup_id   cgroup v2 id
 *  16  s64 ret         syscall return value (0 for sched events)
 *  24  u32 tgid, tid, ppid, uid, gid
 *  44  u16 kind        enum kind below
 *  46  u8  nblobs      number of blobs after the fixed part
 *  47  u8  version     REC_VERSION
 *  48  char comm[16]
 *  64  u32 mntns       inode of the task's mount namespace (tells containers apart on
 *                      cgroup v1 hosts, where the cgroup v2 id does not)
 *  68  u32 reserved
 *  72  u64 a[6]        the raw syscall arguments (or per-kind values, see below)
 * 120  blobs           each: u16 length, then that many bytes (no NUL, no padding)
 *
 * Syscall records are emitted once, at sys_exit, from the arguments stashed at sys_enter
 * (in task storage), or, for open and openat, read at exit from the registers the task
 * saved at entry (no sys_enter program at all). Strings and structs are read from user memory at exit, except for
 * execve/execveat, whose filename and argv are gone after a successful exec and are
 * therefore read at enter into a larger stash; sched_process_exec then emits the exec
 * record, and sys_exit_execve* emits an exec-failed record when ret < 0.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define REC_VERSION 2
#define HDR_SIZE 72
#define NARGS 6
#define FIXED_SIZE (HDR_SIZE + NARGS * 8)
#define STR_MAX 256
#define BYTES_MAX 128
/* Blob offsets are masked with REC_LIMIT - 1: a blob always starts below REC_LIMIT, and
 * the buffers have room for one more maximal blob after it. */
#define REC_LIMIT 2048
#define BUF_SIZE 4096
#define EXEC_BUF_SIZE (REC_LIMIT + 512)
#define ARGV_MAX 20
#define ARGV_BYTES 1024
#define AT_FDCWD_ (-100)

enum kind {
	K_EXEC = 1,
	K_EXEC_FAILED = 2,
	K_FORK = 3,
	K_EXIT = 4,
	K_OPENAT = 10,
	K_OPENAT2 = 11,
	K_CONNECT = 12,
	K_ACCEPT = 13,
	K_ACCEPT4 = 14,
	K_BIND = 15,
	K_EXECVE = 16,
	K_EXECVEAT = 17,
	K_SETUID = 18,
	K_SETGID = 19,
	K_SETREUID = 20,
	K_SETREGID = 21,
	K_SETRESUID = 22,
	K_SETRESGID = 23,
	K_CAPSET = 24,
	K_UNSHARE = 25,
	K_SETNS = 26,
	K_MOUNT = 27,
	K_PTRACE = 28,
	K_INIT_MODULE = 29,
	K_FINIT_MODULE = 30,
	K_MEMFD_CREATE = 31,
	K_BPF = 32,
	K_DUP2 = 33,
	K_DUP3 = 34,
	K_SYMLINKAT = 35,
	K_LINKAT = 36,
	K_UNLINKAT = 37,
	K_RENAMEAT2 = 38,
	K_FCHMODAT = 39,
	K_MKDIRAT = 40,
	K_CHMOD = 41,
	K_FCHMOD = 42,
	K_FCHMODAT2 = 43,
	/* The pre-*at calls that musl (Alpine) still makes on x86_64. */
	K_OPEN = 44,
	K_CREAT = 45,
	K_UNLINK = 46,
	K_RENAME = 47,
	K_MKDIR = 48,
	K_SYMLINK = 49,
	K_LINK = 50,
	K_DUP = 51,
	/* Only packet sockets and raw sockets are recorded (sniffing, crafted packets). */
	K_SOCKET = 52,
};

struct hdr {
	__u64 ts;
	__u64 cgroup_id;
	__s64 ret;
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u16 kind;
	__u8 nblobs;
	__u8 version;
	char comm[16];
	__u32 mntns;
	__u32 reserved;
};

/* Only the fields used here; CO-RE relocates them against the running kernel's BTF. */
struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct mnt_namespace {
	struct ns_common ns;
} __attribute__((preserve_access_index));

struct nsproxy {
	struct mnt_namespace *mnt_ns;
} __attribute__((preserve_access_index));

struct task_struct {
	int tgid;
	int exit_code;
	char comm[16];
	struct task_struct *real_parent;
	struct nsproxy *nsproxy;
} __attribute__((preserve_access_index));

/* The user registers saved at syscall entry: at sys_exit they still hold the call's
 * arguments (only the return value register is written). */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long di;
	unsigned long si;
	unsigned long dx;
	unsigned long r10;
	unsigned long r8;
	unsigned long r9;
} __attribute__((preserve_access_index));
#define SYSCALL_ARG(r, i)                                                                          \
	((i) == 0 ? (r)->di :                                                                      \
	 (i) == 1 ? (r)->si :                                                                      \
	 (i) == 2 ? (r)->dx :                                                                      \
	 (i) == 3 ? (r)->r10 :                                                                     \
	 (i) == 4 ? (r)->r8 : (r)->r9)
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs {
	__u64 regs[31];
	__u64 orig_x0;
} __attribute__((preserve_access_index));
/* x0 holds the return value by then; the first argument is kept in orig_x0 */
#define SYSCALL_ARG(r, i) ((i) == 0 ? (r)->orig_x0 : (r)->regs[(i)])
#endif

struct trace_event_raw_sched_process_exec {
	unsigned int __data_loc_filename;
	int pid;
	int old_pid;
} __attribute__((preserve_access_index));

struct trace_event_raw_sched_process_fork {
	int parent_pid;
	int child_pid;
} __attribute__((preserve_access_index));

/* Syscall tracepoint contexts (stable layout since the syscall tracepoints exist). */
struct sys_enter_ctx {
	__u64 common;
	__s64 nr;
	__u64 args[NARGS];
};

struct sys_exit_ctx {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

struct args_stash {
	__u64 kind;
	__u64 a[NARGS];
};

struct buf {
	__u32 len;
	__u32 pad;
	__u8 rec[BUF_SIZE];
};

/* Same head as struct buf, so a scratch buffer can be copied into it by map update. */
struct exec_stash {
	__u32 len;
	__u32 pad;
	__u8 rec[EXEC_BUF_SIZE];
};

struct config {
	__u32 own_tgid;
	__u32 pad;
	/* Identical opens by one thread within this many ns are folded into the first (0: off). */
	__u64 fold_ns;
};

/* Opens are folded only while their whole record fits here (the header, the arguments and
 * a path of up to 262 bytes). */
#define FOLD_MAX 384

struct fold_entry {
	__u64 ts;
	__u32 len;
	__u32 pad;
	__u8 rec[FOLD_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* set at load time */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} config SEC(".maps");

/* Per-thread state is task storage: found from the task itself instead of by hashing its
 * tid (a hash update, lookup and delete per syscall cost more than the rest of the record
 * together), and freed with the task, so nothing is evicted or left behind. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct args_stash);
} args_store SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct exec_stash);
} exec_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct buf);
} scratch SEC(".maps");

/* The last open record each thread emitted. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fold_entry);
} fold_store SEC(".maps");

/* Opens folded, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} folded SEC(".maps");

static __always_inline int is_self(__u32 tgid)
{
	__u32 zero = 0;
	struct config *c = bpf_map_lookup_elem(&config, &zero);
	return c && c->own_tgid != 0 && c->own_tgid == tgid;
}

static __always_inline struct buf *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *d = bpf_map_lookup_elem(&drops, &zero);
	if (d)
		*d += 1;
}

/* The task fields are read through the task's BTF pointer: plain loads that read as 0 if
 * a pointer is NULL, where bpf_probe_read_kernel costs a helper call per pointer followed. */
static __always_inline void fill_hdr(__u8 *rec, __u16 kind, __s64 ret, __u8 nblobs)
{
	struct hdr *h = (struct hdr *)rec;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	struct task_struct *task = bpf_get_current_task_btf();

	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->ret = ret;
	h->tgid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = task->real_parent->tgid;
	h->uid = (__u32)uid_gid;
	h->gid = uid_gid >> 32;
	h->kind = kind;
	h->nblobs = nblobs;
	h->version = REC_VERSION;
	/* two loads instead of the helper's strscpy (a rename racing this may tear the name;
	 * the helper does not lock either) */
	((__u64 *)h->comm)[0] = ((const __u64 *)task->comm)[0];
	((__u64 *)h->comm)[1] = ((const __u64 *)task->comm)[1];
	h->mntns = task->nsproxy->mnt_ns->ns.inum;
	h->reserved = 0;
}

static __always_inline void set_len(__u8 *rec, __u32 off, __u32 len)
{
	rec[off] = len & 0xff;
	rec[off + 1] = (len >> 8) & 0xff;
}

/* Appends a NUL-terminated string (user or kernel memory) as a blob. */
static __always_inline __u32 put_str(__u8 *rec, __u32 off, const void *ptr, int user)
{
	long n = 0;
	__u32 len = 0;

	off &= REC_LIMIT - 1;
	if (ptr) {
		if (user)
			n = bpf_probe_read_user_str(rec + off + 2, STR_MAX, ptr);
		else
			n = bpf_probe_read_kernel_str(rec + off + 2, STR_MAX, ptr);
	}
	if (n > 0)
		len = (n - 1) & (STR_MAX - 1);
	set_len(rec, off, len);
	return off + 2 + len;
}

/* Appends size bytes of user memory as a blob (empty when the read fails). */
static __always_inline __u32 put_bytes(__u8 *rec, __u32 off, const void *ptr, __u64 size)
{
	__u32 len = 0;

	__u32 sz = size > BYTES_MAX ? BYTES_MAX : (__u32)size;

	/* keep clang from folding the clamp into a copy the verifier cannot bound */
	asm volatile("" : "+r"(sz));
	sz &= 2 * BYTES_MAX - 1;
	off &= REC_LIMIT - 1;
	if (ptr && sz > 0 && bpf_probe_read_user(rec + off + 2, sz, ptr) == 0)
		len = sz;
	set_len(rec, off, len);
	return off + 2 + len;
}

/* Waking the reader for every record costs a self-IPI (irq_work) per record, several
 * microseconds in a VM. Records are therefore written without a wakeup until
 * WAKEUP_BYTES (or a quarter of the ring) are pending; process events (exec, fork, exit) wake the reader at once.
 * The reader's poll timeout bounds the delay of the rest. */
#define WAKEUP_BYTES (256 << 10)

static __always_inline __u64 wakeup_flags(int urgent)
{
	__u64 threshold;

	if (urgent)
		return 0;
	/* a quarter of the ring at most, so a small ring still wakes the reader in time */
	threshold = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4;
	if (threshold > WAKEUP_BYTES)
		threshold = WAKEUP_BYTES;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= threshold)
		return 0;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline int output(void *rec, __u32 len, int urgent)
{
	if (bpf_ringbuf_output(&events, rec, len, wakeup_flags(urgent)) != 0) {
		count_drop();
		return -1;
	}
	return 0;
}

static __always_inline int emit(__u8 *rec, __u32 len, int urgent)
{
	if (len > BUF_SIZE - 8)
		return -1;
	return output(rec, len, urgent);
}

/* ---- folding of repeated opens ------------------------------------------------------ */

/* An open whose record equals, in everything but its time and descriptor number, the last
 * open record of the same thread (same task, not exec'd since: the entry is cleared at
 * exec), emitted less than fold_ns ago, tells the rules nothing new: it is counted and
 * dropped here instead of crossing the ring buffer. Equal means the same process, parent,
 * credentials, name, cgroup and mount namespace, the same arguments, success or failure,
 * and the same absolute path (relative paths depend on the working directory, which the
 * record does not carry). A loop that opens one file is one record per window. */

static __always_inline void fold_forget(void)
{
	struct fold_entry *e = bpf_task_storage_get(&fold_store, bpf_get_current_task_btf(), 0, 0);

	if (e)
		e->len = 0;
}

static __always_inline int fold_open(__u8 *rec, __u32 len)
{
	__u32 zero = 0;
	struct config *c = bpf_map_lookup_elem(&config, &zero);
	struct hdr *h = (struct hdr *)rec;
	struct fold_entry *e;
	__u64 now, *count;
	__u32 n = len;
	int same = 1;

	asm volatile("" : "+r"(n));
	if (!c || c->fold_ns == 0 || n > FOLD_MAX || n <= FIXED_SIZE + 2)
		return 0;
	if (rec[FIXED_SIZE + 2] != '/')
		return 0;
	e = bpf_task_storage_get(&fold_store, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e)
		return 0;
	now = h->ts;
	if (e->len == n && now - e->ts < c->fold_ns &&
	    (((struct hdr *)e->rec)->ret < 0) == (h->ret < 0)) {
		/* word 0 is the time; word 2 the result */
		for (int i = 1; i < FOLD_MAX / 8; i++) {
			__u32 o = i * 8;
			__u64 x, y, m = ~0ULL;

			if (o >= n)
				break;
			/* the descriptor number of a success may differ; an error code may not */
			if (i == 2 && h->ret >= 0)
				continue;
			x = *(__u64 *)(rec + o);
			y = *(__u64 *)(e->rec + o);
			if (n - o < 8)
				m = (1ULL << ((n - o) * 8)) - 1;
			if ((x ^ y) & m) {
				same = 0;
				break;
			}
		}
		if (same) {
			count = bpf_map_lookup_elem(&folded, &zero);
			if (count)
				*count += 1;
			return 1;
		}
	}
	e->ts = now;
	e->len = n;
	bpf_probe_read_kernel(e->rec, n, rec);
	return 0;
}

/* ---- generic syscalls ------------------------------------------------------------ */

/* nargs: the syscall's argument count. The context of sys_enter_X ends after its last
 * argument, and the kernel refuses to attach a program that reads past the end. */
static __always_inline int on_enter(struct sys_enter_ctx *ctx, __u32 kind, int nargs)
{
	struct args_stash *s;

	if (is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	s = bpf_task_storage_get(&args_store, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s)
		return 0;
	s->kind = kind;
#pragma unroll
	for (int i = 0; i < NARGS; i++)
		s->a[i] = i < nargs ? ctx->args[i] : 0;
	return 0;
}

static __always_inline int record_syscall(__u32 kind, __s64 ret, const __u64 *a);

static __always_inline int on_exit(struct sys_exit_ctx *ctx, __u32 kind)
{
	struct args_stash *s = bpf_task_storage_get(&args_store, bpf_get_current_task_btf(), 0, 0);
	__u64 a[NARGS];

	/* kind 0: no syscall of ours is in progress (the stash is cleared at each exit) */
	if (!s || s->kind == 0)
		return 0;
	if (s->kind != kind) {
		s->kind = 0;
		return 0;
	}
#pragma unroll
	for (int i = 0; i < NARGS; i++)
		a[i] = s->a[i];
	s->kind = 0;
	return record_syscall(kind, ctx->ret, a);
}

#ifdef SYSCALL_ARG
/* The hottest calls (the opens) have no sys_enter program: the arguments are read at exit
 * from the registers the task saved at entry. That halves what tracing them costs (each
 * attached tracepoint is a program run per call) and needs no per-thread stash. */
static __always_inline int on_exit_regs(struct sys_exit_ctx *ctx, __u32 kind, int nargs)
{
	struct pt_regs *regs;
	__u64 a[NARGS];

	if (is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs)
		return 0;
#pragma unroll
	for (int i = 0; i < NARGS; i++)
		a[i] = i < nargs ? SYSCALL_ARG(regs, i) : 0;
	return record_syscall(kind, ctx->ret, a);
}
#endif

#define AF_PACKET_ 17
#define SOCK_RAW_ 3
#define SOCK_TYPE_MASK_ 0xf

static __always_inline int record_syscall(__u32 kind, __s64 ret, const __u64 *a)
{
	struct buf *b;
	__u8 *rec;
	__u32 off = FIXED_SIZE;
	__u8 n = 0;

	if (kind == K_SOCKET && a[0] != AF_PACKET_ && (a[1] & SOCK_TYPE_MASK_) != SOCK_RAW_)
		return 0;
	b = get_scratch();
	if (!b)
		return 0;
	rec = b->rec;
#pragma unroll
	for (int i = 0; i < NARGS; i++)
		((__u64 *)(rec + HDR_SIZE))[i] = a[i];

	switch (kind) {
	case K_OPENAT:
	case K_UNLINKAT:
	case K_FCHMODAT:
	case K_FCHMODAT2:
	case K_MKDIRAT:
		off = put_str(rec, off, (const void *)a[1], 1);
		n = 1;
		break;
	case K_OPENAT2:
		off = put_str(rec, off, (const void *)a[1], 1);
		off = put_bytes(rec, off, (const void *)a[2], a[3] < 24 ? a[3] : 24);
		n = 2;
		break;
	case K_CONNECT:
	case K_BIND:
		off = put_bytes(rec, off, (const void *)a[1], a[2]);
		n = 1;
		break;
	case K_ACCEPT:
	case K_ACCEPT4: {
		int alen = 0;
		if (ret < 0 || !a[1] || !a[2] ||
		    bpf_probe_read_user(&alen, sizeof(alen), (const void *)a[2]) != 0 || alen < 0)
			alen = 0;
		off = put_bytes(rec, off, (const void *)a[1], (__u64)alen);
		n = 1;
		break;
	}
	case K_CAPSET:
		off = put_bytes(rec, off, (const void *)a[0], 8);
		off = put_bytes(rec, off, (const void *)a[1], 24);
		n = 2;
		break;
	case K_MOUNT:
		off = put_str(rec, off, (const void *)a[0], 1);
		off = put_str(rec, off, (const void *)a[1], 1);
		off = put_str(rec, off, (const void *)a[2], 1);
		n = 3;
		break;
	case K_INIT_MODULE:
		off = put_str(rec, off, (const void *)a[2], 1);
		n = 1;
		break;
	case K_FINIT_MODULE:
		off = put_str(rec, off, (const void *)a[1], 1);
		n = 1;
		break;
	case K_MEMFD_CREATE:
	case K_CHMOD:
	case K_OPEN:
	case K_CREAT:
	case K_UNLINK:
	case K_MKDIR:
		off = put_str(rec, off, (const void *)a[0], 1);
		n = 1;
		break;
	case K_RENAME:
	case K_SYMLINK:
	case K_LINK:
		off = put_str(rec, off, (const void *)a[0], 1);
		off = put_str(rec, off, (const void *)a[1], 1);
		n = 2;
		break;
	case K_SYMLINKAT:
		off = put_str(rec, off, (const void *)a[0], 1);
		off = put_str(rec, off, (const void *)a[2], 1);
		n = 2;
		break;
	case K_LINKAT:
	case K_RENAMEAT2:
		off = put_str(rec, off, (const void *)a[1], 1);
		off = put_str(rec, off, (const void *)a[3], 1);
		n = 2;
		break;
	default:
		break;
	}
	fill_hdr(rec, kind, ret, n);
	if (kind == K_OPENAT || kind == K_OPEN) {
		if (fold_open(rec, off))
			return 0;
		/* A record the reader never got must not stand for the repeats that follow it. */
		if (emit(rec, off, 0) != 0)
			fold_forget();
		return 0;
	}
	/* New credentials, capabilities or namespaces (set*id, capset, unshare, setns): the
	 * thread's later opens are news. */
	if (ret == 0 && kind >= K_SETUID && kind <= K_SETNS)
		fold_forget();
	emit(rec, off, 0);
	return 0;
}

/* ---- exec --------------------------------------------------------------------------- */

static __always_inline int exec_enter(int dirfd, const char *filename, const char *const *argv,
				      __u64 flags, __u32 syscall)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct buf *b;
	__u8 *rec;
	__u64 *a;
	__u32 off = FIXED_SIZE, start;
	__u64 argc = 0, truncated = 0;

	if (is_self(pid_tgid >> 32))
		return 0;
	b = get_scratch();
	if (!b)
		return 0;
	rec = b->rec;
	a = (__u64 *)(rec + HDR_SIZE);
	a[0] = (__u64)(__s64)dirfd;
	a[1] = flags;
	a[2] = syscall;
	a[5] = 0;

	off = put_str(rec, off, filename, 1);
	start = off;
	for (int i = 0; i < ARGV_MAX + 1; i++) {
		const char *p = 0;

		if (!argv || bpf_probe_read_user(&p, sizeof(p), &argv[i]) != 0 || !p)
			break;
		if (i == ARGV_MAX || off - start >= ARGV_BYTES) {
			truncated = 1;
			break;
		}
		off = put_str(rec, off, p, 1);
		argc++;
	}
	a[3] = argc;
	a[4] = truncated;
	b->len = off;
	bpf_map_update_elem(&exec_map, &tid, b, BPF_ANY);
	return 0;
}

static __always_inline int exec_exit(struct sys_exit_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_stash *st = bpf_map_lookup_elem(&exec_map, &tid);
	__u32 len, off;

	if (!st)
		return 0;
	if (ctx->ret < 0) {
		len = st->len;
		if (len < REC_LIMIT) {
			/* the exe path blob, empty: the exec did not happen */
			off = len & (REC_LIMIT - 1);
			set_len(st->rec, off, 0);
			off += 2;
			fill_hdr(st->rec, K_EXEC_FAILED, ctx->ret,
				 (__u8)(2 + ((__u64 *)(st->rec + HDR_SIZE))[3]));
			output(st->rec, off, 1);
		}
	}
	bpf_map_delete_elem(&exec_map, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int sys_enter_execve(struct sys_enter_ctx *ctx)
{
	return exec_enter(AT_FDCWD_, (const char *)ctx->args[0], (const char *const *)ctx->args[1], 0,
			  K_EXECVE);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int sys_exit_execve(struct sys_exit_ctx *ctx)
{
	return exec_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int sys_enter_execveat(struct sys_enter_ctx *ctx)
{
	return exec_enter((int)ctx->args[0], (const char *)ctx->args[1],
			  (const char *const *)ctx->args[2], ctx->args[4], K_EXECVEAT);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int sys_exit_execveat(struct sys_exit_ctx *ctx)
{
	return exec_exit(ctx);
}

SEC("tracepoint/sched/sched_process_exec")
int sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 old_pid = ctx->old_pid;
	__u32 loc = ctx->__data_loc_filename;
	const void *exe = (const void *)ctx + (loc & 0xffff);
	struct exec_stash *st;
	__u32 len, off;

	if (is_self(pid_tgid >> 32))
		return 0;
	/* A new program: its opens are news even if the old one made the same. (A thread
	 * that execs takes over the leader's pid but keeps its own task storage.) */
	fold_forget();
	st = bpf_map_lookup_elem(&exec_map, &old_pid);
	if (st) {
		len = st->len;
		if (len < REC_LIMIT) {
			__u64 *a = (__u64 *)(st->rec + HDR_SIZE);
			off = put_str(st->rec, len, exe, 0);
			a[5] = old_pid;
			fill_hdr(st->rec, K_EXEC, 0, (__u8)(2 + a[3]));
			if (off <= EXEC_BUF_SIZE)
				output(st->rec, off, 1);
		}
		bpf_map_delete_elem(&exec_map, &old_pid);
		return 0;
	}

	/* No stash (exec started before the probe was loaded, or the stash was evicted):
	 * the kernel's file name stands for both the file name and the exe path. */
	struct buf *b = get_scratch();
	__u64 *a;

	if (!b)
		return 0;
	a = (__u64 *)(b->rec + HDR_SIZE);
	a[0] = (__u64)(__s64)AT_FDCWD_;
	a[1] = 0;
	a[2] = 0;
	a[3] = 0;
	a[4] = 1;
	a[5] = old_pid;
	off = put_str(b->rec, FIXED_SIZE, exe, 0);
	off = put_str(b->rec, off, exe, 0);
	fill_hdr(b->rec, K_EXEC, 0, 2);
	emit(b->rec, off, 1);
	return 0;
}

/* ---- fork / exit ---------------------------------------------------------------- */

SEC("tracepoint/sched/sched_process_fork")
int sched_process_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct buf *b;
	__u64 *a;

	if (is_self(pid_tgid >> 32))
		return 0;
	b = get_scratch();
	if (!b)
		return 0;
	a = (__u64 *)(b->rec + HDR_SIZE);
	a[0] = (__u32)ctx->child_pid;
	a[1] = (__u32)ctx->parent_pid;
	a[2] = 0;
	a[3] = 0;
	a[4] = 0;
	a[5] = 0;
	fill_hdr(b->rec, K_FORK, 0, 0);
	emit(b->rec, FIXED_SIZE, 1);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int sched_process_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct task_struct *task;
	struct buf *b;
	__u64 *a;

	/* a thread that dies inside execve leaves no stash behind (task storage goes with
	 * the task) */
	bpf_map_delete_elem(&exec_map, &tid);
	if ((pid_tgid >> 32) != tid || is_self(tid))
		return 0;
	b = get_scratch();
	if (!b)
		return 0;
	task = bpf_get_current_task_btf();
	a = (__u64 *)(b->rec + HDR_SIZE);
	a[0] = (__u64)(__s64)task->exit_code;
	a[1] = 0;
	a[2] = 0;
	a[3] = 0;
	a[4] = 0;
	a[5] = 0;
	fill_hdr(b->rec, K_EXIT, 0, 0);
	emit(b->rec, FIXED_SIZE, 1);
	return 0;
}

/* ---- the syscall tracepoints ------------------------------------------------------ */

#define SYSCALL(name, kind, nargs)                                                             \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                        \
	int sys_enter_##name(struct sys_enter_ctx *ctx)                                    \
	{                                                                                  \
		return on_enter(ctx, kind, nargs);                                            \
	}                                                                                  \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                         \
	int sys_exit_##name(struct sys_exit_ctx *ctx)                                      \
	{                                                                                  \
		return on_exit(ctx, kind);                                                 \
	}

#ifdef SYSCALL_ARG
#define SYSCALL_EXIT_ONLY(name, kind, nargs)                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                         \
	int sys_exit_##name(struct sys_exit_ctx *ctx)                                      \
	{                                                                                  \
		return on_exit_regs(ctx, kind, nargs);                                        \
	}
#else
#define SYSCALL_EXIT_ONLY(name, kind, nargs) SYSCALL(name, kind, nargs)
#endif

SYSCALL_EXIT_ONLY(openat, K_OPENAT, 4)
SYSCALL(openat2, K_OPENAT2, 4)
SYSCALL(connect, K_CONNECT, 3)
SYSCALL(accept, K_ACCEPT, 3)
SYSCALL(accept4, K_ACCEPT4, 4)
SYSCALL(bind, K_BIND, 3)
SYSCALL(setuid, K_SETUID, 1)
SYSCALL(setgid, K_SETGID, 1)
SYSCALL(setreuid, K_SETREUID, 2)
SYSCALL(setregid, K_SETREGID, 2)
SYSCALL(setresuid, K_SETRESUID, 3)
SYSCALL(setresgid, K_SETRESGID, 3)
SYSCALL(capset, K_CAPSET, 2)
SYSCALL(unshare, K_UNSHARE, 1)
SYSCALL(setns, K_SETNS, 2)
SYSCALL(mount, K_MOUNT, 5)
SYSCALL(ptrace, K_PTRACE, 4)
SYSCALL(init_module, K_INIT_MODULE, 3)
SYSCALL(finit_module, K_FINIT_MODULE, 3)
SYSCALL(memfd_create, K_MEMFD_CREATE, 2)
SYSCALL(bpf, K_BPF, 3)
SYSCALL(dup2, K_DUP2, 2)
SYSCALL(dup3, K_DUP3, 3)
SYSCALL(symlinkat, K_SYMLINKAT, 3)
SYSCALL(linkat, K_LINKAT, 5)
SYSCALL(unlinkat, K_UNLINKAT, 3)
SYSCALL(renameat2, K_RENAMEAT2, 5)
SYSCALL(fchmodat, K_FCHMODAT, 3)
SYSCALL(fchmodat2, K_FCHMODAT2, 4)
SYSCALL(mkdirat, K_MKDIRAT, 3)
SYSCALL(chmod, K_CHMOD, 2)
SYSCALL(fchmod, K_FCHMOD, 2)
SYSCALL_EXIT_ONLY(open, K_OPEN, 3)
SYSCALL(creat, K_CREAT, 2)
SYSCALL(unlink, K_UNLINK, 1)
SYSCALL(rename, K_RENAME, 2)
SYSCALL(mkdir, K_MKDIR, 2)
SYSCALL(symlink, K_SYMLINK, 2)
SYSCALL(link, K_LINK, 2)
SYSCALL(dup, K_DUP, 1)
SYSCALL_EXIT_ONLY(socket, K_SOCKET, 3)

/* bpf_probe_read_user* and bpf_get_current_task are GPL-only helpers: the kernel loads
 * this object only with a GPL-compatible license string. */
char LICENSE[] SEC("license") = "GPL";
