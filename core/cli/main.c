#include <stdio.h>
int main(void)
{
    puts("duet");
    return 0;
}
