// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool -i and -S for one interface, as the ethtool program asks for
 * them (SIOCETHTOOL): the driver's name, then "name: value" per counter.
 */

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int ethtool(int s, const char *name, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_data = cmd;
	return ioctl(s, SIOCETHTOOL, &ifr);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "eth0";
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ethtool_gstrings *strings;
	struct ethtool_stats *stats;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned int i, n;

	if (s < 0 || ethtool(s, name, &info) < 0) {
		perror("ethstats: ETHTOOL_GDRVINFO");
		return 1;
	}
	printf("driver: %s\n", info.driver);
	n = info.n_stats;
	strings = calloc(1, sizeof(*strings) + n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + n * sizeof(stats->data[0]));
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = n;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	if (ethtool(s, name, strings) < 0 || ethtool(s, name, stats) < 0) {
		perror("ethstats: ETHTOOL_GSTATS");
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%.*s: %llu\n", ETH_GSTRING_LEN,
		       (char *)strings->data + i * ETH_GSTRING_LEN,
		       (unsigned long long)stats->data[i]);
	return 0;
}
