# attention.w: the literate source is attention.w; generated/ is its tangled output.
# make tangle   re-tangle attention.w into generated/ (needs ctangle)
# make          build ./attention from generated/
# make run      train the notebook's model, translate its five sentences, draw figures/
# make check    build and run every test
# make bench    time the kit against the notebook's PyTorch loop
# make decode-table  greedy against beam search on a held-out split (book/out-decode.txt)
# make experiments   Part II's kinds trained and scored on the split (book/out-experiments.txt)
# make bench-translate  translating the test split, kit against PyTorch
# make compare-torch    test BLEU of the kit's and PyTorch's training, same initial weights
# make book     weave book/attention.pdf
# make fuzz     run each libFuzzer harness for FUZZ_SECONDS (tests/fuzz/README.md)
# make check-sanitize  the test programs and cli.sh under ASan and UBSan
# make handout  the student kit in handout/ (tests/grader/README.md)
# make grade SUB=DIR [OUT=DIR]               grade one student's change files
# make grade-class SUBMISSIONS=DIR [OUT=DIR] grade a class (one folder per student)

CC      ?= cc
SHELL   := /bin/bash
PYTHON  ?= /usr/bin/python3
PKGS    := cairo libcjson libutf8proc openblas
NATIVE  := $(shell $(CC) -march=native -E -x c /dev/null >/dev/null 2>&1 && echo -march=native)
CFLAGS  ?= -O3 $(NATIVE) -ffp-contract=off -fno-math-errno
CFLAGS  += -fopenmp -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -g
CPPFLAGS += -Igenerated $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lm
# glibc's vector expf and tanhf (libmvec), when the compiler can link them.
MVEC    := $(shell echo 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null -lmvec 2>/dev/null && echo yes)
ifeq ($(MVEC),yes)
CPPFLAGS += -DKIT_MVEC
LDLIBS  := $(filter-out -lm,$(LDLIBS)) -lmvec -lm
endif
CHECK_LIBS := $(shell pkg-config --cflags --libs check)

LIBSRC  := generated/util.c generated/vocab.c generated/layers.c generated/model.c \
           generated/checkpoint.c generated/figures.c generated/decode.c generated/batch.c \
           generated/backend_cpu.c
LIBOBJ  := $(LIBSRC:generated/%.c=build/%.o)
GENERATED := generated/attention.h generated/main.c $(LIBSRC) generated/backend_cuda.cu \
           generated/cuda_kernels.h generated/backend_nocuda.c

# The CUDA backend (the chapter "The GPU"): nvcc from PATH, else /usr/local/cuda/bin.
# Kernels for sm_90 (H100, H200) and PTX for newer cards; warnings are errors.
# Without nvcc, ./attention is the CPU program and --device cuda says so.
NVCC    ?= $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
# The backend uses CUDA 12's graph calls; an older nvcc builds the CPU program.
NVCC_VERSION := $(if $(NVCC),$(shell $(NVCC) --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))
ifneq ($(NVCC),)
ifeq ($(shell test "$(firstword $(subst ., ,$(NVCC_VERSION)))" -ge 12 2>/dev/null && echo yes),)
$(info CUDA: $(NVCC) is CUDA $(NVCC_VERSION); the CUDA backend needs 12 or newer: building the CPU program only)
override NVCC :=
endif
endif
# nvcc on PATH may be a wrapper script (/usr/local/bin/nvcc on some machines):
# the toolkit is where nvcc itself says it is (TOP in its dry run), and the
# CUDA runtime is linked from the folder of that toolkit that holds it.
ifneq ($(NVCC),)
CUDA_HOME := $(realpath $(shell $(NVCC) -dryrun -c kit.cu -o kit.o 2>&1 | sed -n 's/^\#\$$ TOP=//p'))
CUDA_LIB  := $(firstword $(foreach d,lib64 targets/x86_64-linux/lib targets/sbsa-linux/lib,\
  $(if $(wildcard $(CUDA_HOME)/$(d)/libcudart_static.a),$(CUDA_HOME)/$(d))))
ifeq ($(CUDA_LIB),)
$(info CUDA: $(NVCC) (CUDA $(NVCC_VERSION)) but no libcudart_static.a under '$(CUDA_HOME)': building the CPU program only)
override NVCC :=
endif
endif
ifneq ($(NVCC),)
CUDA_ARCH := '-gencode=arch=compute_90,code=[sm_90,compute_90]'
NVCCFLAGS ?= -O3 -std=c++17 $(CUDA_ARCH) -fmad=false -Werror all-warnings \
  -Xcompiler -Wall,-Wextra,-Wno-unused-parameter,-Wno-missing-field-initializers,-Werror
LIBOBJ  += build/backend_cuda.o
LDLIBS  += -L$(CUDA_LIB) -Wl,-rpath,$(CUDA_LIB) -lcudart_static -ldl -lrt -lpthread -lstdc++
$(info CUDA: $(NVCC) (CUDA $(NVCC_VERSION), toolkit $(CUDA_HOME)): building the CUDA backend for sm_90)
else
LIBOBJ  += build/backend_nocuda.o
$(if $(NVCC_VERSION),,$(info CUDA: no nvcc on PATH or in /usr/local/cuda/bin: building the CPU program only))
endif

CTANGLE := $(shell command -v ctangle 2>/dev/null)

.PHONY: all tangle run check bench book book-check clean handout grade grade-class \
  check-cuda bench-cuda decode-table
all: attention

# One ctangle run writes every file; +c rewrites a file only when it changed.
tangle: build/tangle.stamp
ifneq ($(CTANGLE),)
build/tangle.stamp: attention.w
	@mkdir -p generated build
	ctangle +c attention.w - generated/main.c
	@touch $@
else
build/tangle.stamp:
	@mkdir -p build
	@echo "ctangle not found: building from the committed generated/ sources"
	@touch $@
endif
$(GENERATED): build/tangle.stamp ;

build/%.o: generated/%.c generated/attention.h | build
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@
build/backend_cuda.o: generated/backend_cuda.cu generated/cuda_kernels.h generated/attention.h | build
	$(NVCC) $(filter-out -march=native,$(CPPFLAGS)) $(NVCCFLAGS) -c $< -o $@
build:
	@mkdir -p build

# The library is rebuilt whole when the choice of CUDA changes (build/cuda.config).
CUDA_CONFIG := $(shell mkdir -p build; f=build/cuda.config; \
  [ "$$(cat $$f 2>/dev/null)" = "nvcc=$(NVCC)" ] || echo "nvcc=$(NVCC)" > $$f; echo $$f)
build/libattention.a: $(LIBOBJ) $(CUDA_CONFIG)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

attention: build/main.o build/libattention.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=build/%)
# test_double compiles the model's own sources in double precision (no library).
build/test_double build/test_batched_double: build/%: tests/%.c $(GENERATED) | build
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-function $< -o $@ $(LDLIBS) $(CHECK_LIBS)
build/test_%: tests/test_%.c tests/testutil.h tests/gradcheck.h build/libattention.a generated/attention.h | build
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ build/libattention.a $(LDLIBS) $(CHECK_LIBS)

# The host test of the CUDA kernels, built from copies of their header with a
# planted error, must fail: "grid", kit_blocks rounds down (the launches miss
# their last, partial block); "index", a thread forgets its block's offset.
PLANTS      := grid index
PLANT_grid  := s|(n+KIT_BLOCK-1)/KIT_BLOCK|n/KIT_BLOCK|
PLANT_index := s|(size_t)blockIdx.x\*blockDim.x+threadIdx.x|(size_t)threadIdx.x|
build/planted-%/cuda_kernels.h: generated/cuda_kernels.h | build
	@mkdir -p $(@D)
	sed '$(PLANT_$*)' $< > $@
	@! cmp -s $< $@ || { echo "$@: the planted error no longer applies"; rm -f $@; exit 1; }
.PRECIOUS: build/planted-%/cuda_kernels.h
build/test_cuda_host_planted-%: tests/test_cuda_host.c tests/testutil.h build/planted-%/cuda_kernels.h build/libattention.a
	$(CC) -Ibuild/planted-$* $(CPPFLAGS) $(CFLAGS) $< -o $@ build/libattention.a $(LDLIBS) $(CHECK_LIBS)
build/test_cuda_host: generated/cuda_kernels.h


# Fuzzing (tests/fuzz/README.md): make fuzz runs each libFuzzer harness for
# FUZZ_SECONDS; make check replays the committed corpus (tests/fuzz.sh).
FUZZ_HARNESSES := checkpoint pairs losslog translate
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
REPLAY_BIN   := $(FUZZ_HARNESSES:%=build/replay_%)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(GENERATED)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) -Itests/fuzz $< $(LIBSRC) -o $@ $(LDLIBS)
build/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/replay.c build/libattention.a | build
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-function $< tests/fuzz/replay.c -o $@ build/libattention.a $(LDLIBS)
.PHONY: fuzz
fuzz: $(FUZZ_HARNESSES:%=build/fuzz/fuzz_%)
	@for h in $(FUZZ_HARNESSES); do mkdir -p build/fuzz/corpus-$$h; \
	  echo "== fuzz_$$h for $(FUZZ_SECONDS) s (new inputs in build/fuzz/corpus-$$h)"; \
	  LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp:print_suppressions=0 build/fuzz/fuzz_$$h \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/$$h- build/fuzz/corpus-$$h tests/fuzz/corpus/$$h || exit 1; done
	@echo "== fuzz_changefile.py for $(FUZZ_SECONDS) s"
	$(PYTHON) tests/fuzz/fuzz_changefile.py --seconds $(FUZZ_SECONDS)

# The test programs and the command line once more, built with AddressSanitizer
# and UndefinedBehaviorSanitizer (CI runs it; the libraries' own caches are
# suppressed by name in tests/fuzz/lsan.supp, the kit's own leaks are errors).
SAN_FLAGS := -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -fno-omit-frame-pointer
SAN_BIN   := $(TEST_SRC:tests/%.c=build/san/%)
build/san/test_double build/san/test_batched_double: build/san/%: tests/%.c $(GENERATED)
	@mkdir -p build/san
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) -Wno-unused-function $< -o $@ $(LDLIBS) $(CHECK_LIBS)
build/san/test_%: tests/test_%.c tests/testutil.h $(GENERATED)
	@mkdir -p build/san
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) $< $(LIBSRC) -o $@ $(LDLIBS) $(CHECK_LIBS)
build/san/attention: $(GENERATED)
	@mkdir -p build/san
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) generated/main.c $(LIBSRC) generated/backend_nocuda.c -o $@ \
	  $(filter-out -lcudart_static -lstdc++,$(LDLIBS))
.PHONY: check-sanitize
check-sanitize: attention $(SAN_BIN) build/san/attention
	@export LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp CK_TIMEOUT_MULTIPLIER=10; failed=""; \
	for t in $(SAN_BIN); do echo "== $$t"; CK_FORK=yes $$t || failed="$$failed $$t"; done; \
	echo "== tests/cli.sh build/san/attention"; tests/cli.sh build/san/attention || failed="$$failed cli.sh"; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; echo "all sanitized tests passed"

# Every test program and script runs; the target fails if any of them failed.
check: attention $(TEST_BIN) $(REPLAY_BIN) $(PLANTS:%=build/test_cuda_host_planted-%)
	@failed=""; \
	for t in $(TEST_BIN); do echo "== $$t"; CK_FORK=yes $$t || failed="$$failed $$t"; done; \
	for p in $(PLANTS); do echo "== build/test_cuda_host_planted-$$p (a planted $$p error: must fail)"; \
	  if CK_FORK=yes build/test_cuda_host_planted-$$p >build/planted-$$p.log 2>&1; then \
	    echo "the planted $$p error was not caught"; failed="$$failed planted-$$p"; \
	  else grep -a '^[0-9]*%' build/planted-$$p.log; fi; done; \
	for t in tests/*.sh; do echo "== $$t"; $$t ./attention || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; echo "all tests passed"

# The notebook's five sentences, for make run, the figures and the book.
SEED_EN := "i am a student" "he is a teacher" "she is a doctor" "we are engineers" "they are artists"

# make run trains the notebook's model (printing the loss and the translations),
# then draws into figures/ the attention of the five sentences in the notebook's
# two styles and the loss curve of the run, as PDF (for the book) and PNG.
run: attention
	./attention train --pairs seed --save build/seed.safetensors --loss-log build/seed-loss.tsv
	@$(MAKE) --no-print-directory draw-figures

.PHONY: draw-figures
draw-figures:
	@mkdir -p figures
	@for s in $(SEED_EN); do for style in bone ylorrd; do \
	  f=figures/heatmap-$$style-$$(echo "$$s" | tr ' ' '-'); \
	  ./attention heatmap --model build/seed.safetensors --style $$style \
	    --out $$f.pdf --out $$f.png "$$s" || exit 1; done; done
	@./attention loss-curve --log build/seed-loss.tsv --out figures/loss.pdf --out figures/loss.png

bench: attention
	$(PYTHON) tests/bench.py ./attention

# The book's table of decoding choices: the notebook's kind trained on the train
# split of the corpus, scored on its test split, greedily and with a beam of 5
# under each length penalty. Part II's kinds join it in their own experiments.
CORPUS ?= ../shared/data/eng-fra.txt
DECODE_RUNS := greedy "--beam 5 --length-penalty none" "--beam 5 --length-penalty avg" \
  "--beam 5 --length-penalty wu"
decode-table: attention
	@test -f "$(CORPUS)" || { echo "decode-table: no corpus at $(CORPUS) (make CORPUS=FILE)"; exit 1; }
	@mkdir -p build/split book
	./attention split --data $(CORPUS) --test 0.1 --valid 0.1 --seed 1 --out-dir build/split
	./attention train --data build/split/train.txt --attention seed --epochs 4 --lr 0.001 --print-every 4 \
	  --save build/split/seed.safetensors --show 0
	@{ echo "kind seed, hidden 128, 4 epochs of build/split/train.txt, Adam lr 0.001;" \
	    "test: $$(./attention eval --model build/split/seed.safetensors --data build/split/test.txt \
	    2>/dev/null | sed -n 's/^Sources: \([0-9]*\) (\([0-9]*\) references).*/\1 sources, \2 references/p')"; \
	  printf '%-30s %6s %6s %7s %8s\n' decoding BLEU ratio exact "sent/s"; \
	  for run in $(DECODE_RUNS); do opts=$$run; [ "$$run" = greedy ] && opts=""; \
	    ./attention eval --model build/split/seed.safetensors --data build/split/test.txt $$opts \
	      2>/dev/null | awk -v name="$$run" '/^BLEU =/ {b = $$3; for (i = 1; i < NF; i++) \
	      if ($$i == "ratio") r = $$(i + 2)} /^Exact match/ {e = $$3} /^Speed/ {s = $$(NF - 1)} \
	      END {printf "%-30s %6s %6s %7s %8s\n", name, b, r, e, s}'; done; } > book/out-decode.txt
	@cat book/out-decode.txt

# The book's table of Part II's kinds (book/out-experiments.txt): the corpus
# split as for decode-table (seed 1), each kind trained EXP_EPOCHS epochs on the
# train split with the tutorial's settings on one thread, the model kept by its
# validation loss (train --valid), then scored on the test split greedily and
# with a beam of 5 under two length penalties; and the attention of each
# kind's beam translation of CORPUS_SENTENCE, drawn into EXP_DIR. About 4.5
# minutes of one core.
EXP_KINDS  := bahdanau luong-dot luong-general multihead
EXP_EPOCHS ?= 10
EXP_DIR    := build/experiments
EXP_RUNS   := greedy "--beam 5 --length-penalty avg" "--beam 5 --length-penalty wu"
.PHONY: experiments
experiments: attention
	@test -f "$(CORPUS)" || { echo "experiments: no corpus at $(CORPUS) (make CORPUS=FILE)"; exit 1; }
	@mkdir -p $(EXP_DIR) book
	./attention split --data $(CORPUS) --test 0.1 --valid 0.1 --seed 1 --out-dir $(EXP_DIR)
	@for k in $(EXP_KINDS); do echo "training $$k, $(EXP_EPOCHS) epochs"; \
	  ./attention train --data $(EXP_DIR)/train.txt --valid $(EXP_DIR)/valid.txt --attention $$k \
	    --epochs $(EXP_EPOCHS) --seed 1 --threads 1 --save $(EXP_DIR)/$$k.safetensors --show 0 \
	    > $(EXP_DIR)/$$k.log || exit 1; tail -2 $(EXP_DIR)/$$k.log; done
	@{ echo "$(EXP_EPOCHS) epochs of the train split (hidden 128, batch 32, Adam lr 0.001, dropout 0.1, 1 thread),"; \
	  echo "the model of the lowest validation loss; test split: $$(./attention eval --model \
	    $(EXP_DIR)/bahdanau.safetensors --data $(EXP_DIR)/test.txt 2>/dev/null \
	    | sed -n 's/^Sources: \([0-9]*\) (\([0-9]*\) references).*/\1 sources, \2 references/p')"; \
	  echo "test BLEU greedy, beam 5 with length penalty avg and wu (alpha 0.6); exact matches greedy, b5 wu"; \
	  printf '%-14s %9s %7s %6s %7s %7s %7s %7s %7s\n' kind params s/epoch valid greedy b5-avg b5-wu \
	    exact-g exact-b5; \
	  for k in $(EXP_KINDS); do log=$(EXP_DIR)/$$k.log; \
	    p=$$(sed -n 's/.*, \([0-9]*\) parameters$$/\1/p' $$log); \
	    s=$$(sed -n 's/^Epoch .*, \([0-9.]*\) s (.*/\1/p' $$log | awk '{t += $$1} END {printf "%.1f", t / NR}'); \
	    v=$$(sed -n 's/.*valid loss \([0-9.]*\),.*/\1/p' $$log | sort -g | head -1); \
	    row=""; for run in $(EXP_RUNS); do opts=$$run; [ "$$run" = greedy ] && opts=""; \
	      row="$$row $$(./attention eval --model $(EXP_DIR)/$$k.safetensors --data $(EXP_DIR)/test.txt \
	        $$opts 2>/dev/null | awk '/^BLEU =/ {b = $$3} /^Exact match/ {e = $$3} END {print b, e}')"; done; \
	    set -- $$row; printf '%-14s %9s %7s %6s %7s %7s %7s %7s %7s\n' $$k $$p $$s $$v $$1 $$3 $$5 $$2 $$6; \
	  done; } > book/out-experiments.txt
	@cat book/out-experiments.txt
	@for k in $(EXP_KINDS); do ./attention heatmap --model $(EXP_DIR)/$$k.safetensors --beam 5 \
	  --out $(EXP_DIR)/heatmap-$$k-beam5.pdf --out $(EXP_DIR)/heatmap-$$k-beam5.png $(CORPUS_SENTENCE) \
	  || exit 1; done

# Translating the test split with the models of make experiments, greedy and
# beam 5, by the kit (attention eval) and by a batched PyTorch decoder of the
# same equations (tests/bench_translate.py), alternated in one run at the same
# number of threads: sentences per second, the ratio, and how many
# translations the two agree on.
BENCH_THREADS ?= 1
.PHONY: bench-translate
bench-translate: attention
	@test -f $(EXP_DIR)/bahdanau.safetensors || { echo "bench-translate: no models in $(EXP_DIR); run make experiments first"; exit 1; }
	$(PYTHON) tests/bench_translate.py ./attention $(EXP_DIR)/test.txt \
	  $(foreach k,$(EXP_KINDS),$(EXP_DIR)/$(k).safetensors) --threads $(BENCH_THREADS) --beam 5

# The kit against PyTorch on the test split: for each seed, the kit's initial
# bahdanau model trained 10 epochs by the kit and by PyTorch
# (tests/torch_batched.py) from the same weights, both scored by the kit's
# eval, greedy and beam 5 (tests/compare_torch.py; about 3 minutes a seed on
# two cores).
COMPARE_SEEDS ?= 1 2 3 4 5
.PHONY: compare-torch
compare-torch: attention
	@test -f "$(CORPUS)" || { echo "compare-torch: no corpus at $(CORPUS) (make CORPUS=FILE)"; exit 1; }
	$(PYTHON) tests/compare_torch.py ./attention $(CORPUS) build/compare --seeds "$(COMPARE_SEEDS)" --epochs 10

# The book's heatmap of a content-based model trained on the corpus: the
# bahdanau model of make experiments (10 epochs of the train split), beam 5,
# on a sentence whose French word order differs from the English. The figure
# depends on the machine's BLAS kernels, so it is committed, not redrawn by
# make check.
CORPUS_SENTENCE := "you are a very kind person ."
FIGURE_SENTENCE := "i am a free man ."
.PHONY: corpus-figures
corpus-figures: experiments
	./attention heatmap --model $(EXP_DIR)/bahdanau.safetensors --beam 5 \
	  --out figures/heatmap-bahdanau-free-man.pdf --out figures/heatmap-bahdanau-free-man.png \
	  $(FIGURE_SENTENCE)

# On a machine with a GPU (the chapter "The GPU"): the CUDA trainer against the
# CPU trainer, and its speed against PyTorch. Neither has run on a GPU yet.
check-cuda: attention
	tests/cuda/check.sh ./attention
bench-cuda: attention
	$(PYTHON) tests/cuda/bench.py ./attention

# The model of make run, for the book; training is deterministic, so this is the
# same model and the same figures as make run's.
build/seed.safetensors build/seed-loss.tsv: attention
	./attention train --pairs seed --save build/seed.safetensors --loss-log build/seed-loss.tsv --show 0 >/dev/null
build/noeos.safetensors: attention
	./attention train --pairs seed --no-eos --save $@ --show 0 >/dev/null
# The figures the book embeds (committed; a fresh checkout redraws the same bytes).
build/figures.stamp: attention build/seed.safetensors build/seed-loss.tsv
	@$(MAKE) --no-print-directory draw-figures
	@touch $@
# What the book shows of the program's output is written by the program.
book/outputs.stamp: attention build/seed.safetensors build/noeos.safetensors
	@mkdir -p book
	./attention translate --model build/noeos.safetensors $(SEED_EN) \
	  | paste -d '\n' <(printf '%s\n' $(SEED_EN)) - | sed '0~2s/^/    /' > book/out-noeos.txt
	./attention translate --model build/seed.safetensors --attention \
	  "i am a student" "we are engineers" > book/out-attention.txt
	{ echo '$$ attention translate --model seed.safetensors "i am a pilot" "we are artists"'; \
	  ./attention translate --model build/seed.safetensors "i am a pilot" "we are artists" 2>&1; \
	  echo "(exit status $$?)"; } > book/out-unknown.txt
	@touch $@

# The book: cweave (exit 5 means warnings, which the web must not have), then
# pdftex twice (the table of contents comes from the first run).
book: book/attention.pdf
book/attention.pdf: attention.w tests/index-filter.awk book/outputs.stamp build/figures.stamp
	@mkdir -p book
	cd book && cweave ../attention.w - attention.tex
	awk -f tests/index-filter.awk book/attention.idx > book/attention.idx.new && \
	  mv book/attention.idx.new book/attention.idx
	cd book && for run in 1 2; do pdftex -interaction=nonstopmode -halt-on-error attention.tex \
	  >/dev/null || { grep -a -A4 '^!' attention.log; exit 1; }; done
	@echo "book/attention.pdf: $$(pdfinfo book/attention.pdf | awk '/^Pages/{print $$2}') pages"

book-check: book
	$(PYTHON) tests/book-check

# Part II's benchmark (a report): one epoch of the tutorial's bahdanau training on
# the corpus, the kit against a masked PyTorch version, at 1 and 2 threads.
.PHONY: bench-corpus
bench-corpus: attention
	$(PYTHON) tests/bench_corpus.py ./attention

# The exercises (tests/grader/README.md). The grader compiles with the kit's
# compiler and flags; CFLAGS is passed on only when set on the command line.
GRADER := CC="$(CC)" $(if $(filter command line,$(origin CFLAGS)),GRADER_CFLAGS="$(CFLAGS)") \
  $(PYTHON) tests/grader/grader.py
handout:
	$(GRADER) handout --out handout
grade:
	@test -n "$(SUB)" || { echo "usage: make grade SUB=DIR [OUT=DIR]"; exit 2; }
	$(GRADER) grade "$(SUB)" $(if $(OUT),--out "$(OUT)")
grade-class:
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade-class SUBMISSIONS=DIR [OUT=DIR]"; exit 2; }
	$(GRADER) grade-class "$(SUBMISSIONS)" --out "$(if $(OUT),$(OUT),grades/class)"

clean:
	rm -rf build attention book/*.pdf book/*.tex book/*.log book/*.toc book/*.idx book/*.scn
