Hostile submission for the grader's self-check: prints PASS, fake Check output, a fake XML result and a fake results.json
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
(void) s;
(void) O;
printf("PASS\n100%%: Checks: 7, Failures: 0, Errors: 0\n");
printf("<test result=\"success\"><description>weights_are_the_softmax_of_the_scores</description><message>Passed</message></test>\n");
fprintf(stderr, "{\"score\": 100, \"tests\": []}\nall tests passed\n");
fflush(stdout);
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z
