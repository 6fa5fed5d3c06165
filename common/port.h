/*  port.h - the TCP port of venue-sim for one run directory: {run}/venue-sim.port.
 *  With venue_sim.port 0 (the default) no port is written in the config: `tools/sv up` asks
 *  the kernel for a free one (port_pick) and writes it here before supervisord starts, so
 *  every process of the group (and a stage restarted alone) reads the same number, and two
 *  groups on one host get two different ports. Strings in the config name it as
 *  "{venue_port}" (common/cfg.h expands it).
 *  File: one line, the port in decimal; written to a temp file and renamed into place.
 */
#ifndef TP_PORT_H
#define TP_PORT_H

#define PORT_FILE "venue-sim.port"

/* Read {run_dir}/venue-sim.port into *port. 0, or -1 with errno (ENOENT: no file; EINVAL: it
 * does not hold a port in [1, 65535]; an error from open/read). *port untouched on failure. */
int port_file_read(const char *run_dir, int *port);

/* Write `port` to {run_dir}/venue-sim.port (mode 0600, temp file + rename). 0 or -1 with
 * errno (EINVAL: port outside [1, 65535]). */
int port_file_write(const char *run_dir, int port);

/* The same for another program's port file {run_dir}/<name> (the gateway's "gateway.port"):
 * port_file_read/_write are these with name PORT_FILE. Same results and errors. */
int port_named_read(const char *run_dir, const char *name, int *port);
int port_named_write(const char *run_dir, const char *name, int port);

/* A TCP port on 127.0.0.1 that is free now: bind port 0, read the port the kernel chose,
 * close. The kernel spreads these over its ephemeral range at random, so two callers at the
 * same moment get different ports; a port is not reserved after the call (the caller binds
 * it again within seconds). 0 or -1 with errno from socket/bind/getsockname. */
int port_pick(int *port);

#endif /* TP_PORT_H */
