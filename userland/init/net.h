/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WASMLINUX_INIT_NET_H
#define WASMLINUX_INIT_NET_H

/* lo up; eth0 as WASMLINUX_NET= in envp says; /etc/hosts and resolv.conf (net.c). */
void net_up(char **envp);

/* Run a program to its end; its wait status, or -errno (init.c). */
int run_and_wait(char *const *argv);

#endif
