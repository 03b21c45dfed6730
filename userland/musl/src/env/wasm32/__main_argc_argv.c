/*
 * Used when the program's main is main(int, char **, char **): clang keeps
 * that one's name and gives main(int, char **) the name __main_argc_argv.
 */

#include <unistd.h>
#include "libc.h"

int main(int, char **, char **);

weak int __main_argc_argv(int argc, char **argv)
{
	return main(argc, argv, __environ);
}
