/* Process start alone: the floor under every whole-process figure. */
int main(void)
{
    return 0;
}
