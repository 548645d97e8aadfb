% attention.w: attention in sequence-to-sequence translation, as a literate program.
% ctangle writes the C sources into generated/; cweave and pdftex make book/attention.pdf.
\tracinglostchars=3
\def\title{ATTENTION.W}
% The front matter: a title and, from the second run on, the table of contents
% that the previous run wrote (cwebmac would print it at the end). The contents
% pages are numbered in roman, and section 1 starts on page 1.
\newread\tocin
% The contents are read whole before they are set: cwebmac opens the file for
% this run's contents when the first page goes out, which empties it, and the
% contents take more than a page.
\newtoks\tocbody
\def\readtoc{\loop\unless\ifeof\tocin \read\tocin to\tocline
  \toks0=\expandafter{\tocline}\edef\next{\the\tocbody\the\toks0}%
  \global\tocbody=\expandafter{\next}\repeat \closein\tocin}
\def\frontmatter{\openin\tocin=\jobname.toc
  \ifeof\tocin \else \readtoc
  \begingroup \titletrue \pageno=-1 \startpdf
    \def\lheader{\hfil}\def\rheader{\hfil}% no running heads in the front matter
    \null\vskip 0.4in
    \centerline{\titlefont Attention in Sequence-to-Sequence Translation}
    \vskip 14pt
    \centerline{\tenrm A literate program in C that trains a translator,}
    \centerline{\tenrm from a five-sentence notebook to a tested trainer}
    \vskip 0.35in
    \line{\hfil Section\hbox to3em{\hss Page}}
    \def\consetup##1{\ifcase##1 \bf\or\hskip1.5em\or\hskip3em\else\hskip4.5em\fi}%
    \let\ZZ=\contentsline \rightskip 0pt \hyphenpenalty 50 \tolerance 200
    \the\tocbody
    \openin\tocin=\jobname.lof
    \ifeof\tocin \else \closein\tocin
      \bigskip\vbox{\line{\bf List of figures\hfil Page}\smallskip \input \jobname.lof\relax}\fi
    \vfill\eject
  \endgroup \global\titletrue \pageno=1 \fi}
% a line of the list of figures, from the previous run's \jobname.lof
\def\lofline#1#2#3{\line{\hbox to 4.5em{\rm Figure #1\hss}#2
  \rm\leaders\hbox to .5em{.\hfil}\hfil\hbox to3em{\hss#3}}}
\frontmatter
\newwrite\lofout \immediate\openout\lofout=\jobname.lof
\def\con{\par\vfill\eject\end} % the contents are at the front
\def\reals{{\bf R}}
\def\softmax{\mathop{\rm softmax}}
\def\relu{\mathop{\rm relu}}
\def\sigmoid{\sigma}
\def\SOS{\.{<SOS>}}
\def\EOS{\.{<EOS>}}
\def\loss{{\cal L}}
% \listing{file}: a file that the program wrote, in small typewriter type, as it is;
% a missing file shows as a visible note rather than stopping the book.
\font\eighttt=cmtt8
\def\listing#1{\par\medskip\openin1=#1 \ifeof1 \noindent{\bf [missing listing #1]}\par
  \else\closein1 \begingroup\eighttt\parindent=1em \baselineskip=9.5pt \parskip=0pt
  \catcode`\\=12 \catcode`\{=12 \catcode`\}=12 \catcode`\$=12 \catcode`\&=12
  \catcode`\#=12 \catcode`\^=12 \catcode`\_=12 \catcode`\%=12 \catcode`\~=12
  \catcode`\|=12 \obeylines\listingspaces\input #1 \endgroup\fi\medskip}
{\catcode`\ =\active \gdef\listingspaces{\catcode`\ =\active \def {\ }}}
% a display of equations with a comment column: \eqtable{a&=b&comment\cr ...}
% CUDA's launch brackets: cweave reads <<< and >>> as a shift and a relation,
% which cwebmac's \MRL joins; exactly those two patterns print as <<< and >>>.
\def\kitLLL{{\LL}{<}}\def\kitGGG{{\GG}{>}}\let\kitMRL=\MRL
\def\MRL#1{\def\kitarg{#1}\ifx\kitarg\kitLLL\mathrel{\lll}\else
  \ifx\kitarg\kitGGG\mathrel{\ggg}\else\kitMRL{#1}\fi\fi}
\def\lll{<\mkern-4mu<\mkern-4mu<}\def\ggg{>\mkern-4mu>\mkern-4mu>}
% a command's options as its --help lists them: \options{\.{--model CKPT}&the model\cr ...};
% \orbar is the bar between two choices (cweave reads a bar in the text as code)
\def\options#1{\par\medskip\halign{\indent##\hfil\quad&##\hfil\cr#1}\medskip}
\def\orbar{\char'174 }
\def\eqtable#1{\null\,\vcenter{\openup1\jot\halign{\strut\hfil$\displaystyle{##}$&%
  $\displaystyle{{}##}$\hfil&\qquad\rm##\hfil\crcr#1\crcr}}\,}
% Pictures drawn in plain TeX: \kitpicture{w}{h}{...} is a box of w by h big points
% whose contents are PDF drawing operators (\pdfliteral, with the origin at the
% box's lower left corner) and texts put at a point: \kitput{x}{y}{text} centred
% on x with its baseline at y, \kitputl{x}{y}{text} starting at x.
% \kitcaption{width}{text} sets a caption under a figure.
\def\kitpicture#1#2#3{\vbox to #2bp{\vfil\setbox0=\hbox to #1bp{#3\hfil}\ht0=0pt \dp0=0pt \box0}}
\def\kitput#1#2#3{\rlap{\kern#1bp\raise#2bp\hbox to 0pt{\hss#3\hss}}}
\def\kitputl#1#2#3{\rlap{\kern#1bp\raise#2bp\hbox{#3}}}
% The caption's first sentence, ``Figure~N. Title.'', goes into the list of figures.
\def\kitsmall{\eightrm \textfont0=\eightrm \scriptfont0=\sixrm \textfont1=\eighti
  \scriptfont1=\sixi \textfont2=\eightsy \scriptfont2=\sixsy}% 8-point text and math
\def\kitcaption#1#2{\smallskip\centerline{\vbox{\hsize=#1\font\tentex=cmtex8
  \let\it=\eightit \kitsmall \noindent #2}}\kitlof#2. \kitend\medskip}
\def\kitlof Figure~#1. #2. #3\kitend{%
  \write\lofout{\string\lofline{#1}{\unexpanded{#2}}{\the\pageno}}}
% \kitfigure, with a file, a width and a caption: an image file with its caption;
% a missing file shows as a visible box rather than stopping the book.
\def\kitfigure#1#2#3{\par\medskip
  \edef\kitfigsize{\pdffilesize{#1}}%
  \ifx\kitfigsize\empty
    \centerline{\vbox{\hrule\hbox{\vrule\vbox to 1in{\vss
      \hbox to #2{\hss\tt missing figure #1\hss}\vss}\vrule}\hrule}}%
  \else
    \centerline{\pdfximage width #2 {#1}\pdfrefximage\pdflastximage}%
  \fi
  \kitcaption{#2}{#3}}
\font\eightrm=cmr8 \font\eightit=cmti8 \font\sixrm=cmr6
\font\eighti=cmmi8 \font\sixi=cmmi6 \font\eightsy=cmsy8 \font\sixsy=cmsy6
% References: \cite{key} or \cite{key1,key2} prints [n]; \bibitem{key}{text} in the
% chapter References numbers the entries. The numbers come from the file that the
% previous pdftex run wrote (\jobname.ref), as the contents do; a key without an
% entry prints [?] and writes "Citation `key' undefined" to the log (book-check).
\newcount\refcount
\def\refdef#1#2{\expandafter\gdef\csname kitref:#1\endcsname{#2}}
\def\cite#1{[\citelist#1,\end]}
\def\citelist#1,#2\end{\citeone{#1}\ifx\relax#2\relax\else,\thinspace\citelist#2\end\fi}
\def\citeone#1{\expandafter\ifx\csname kitref:#1\endcsname\relax
  {\bf?}\message{Citation `#1' undefined}\else\csname kitref:#1\endcsname\fi}
\def\bibitem#1#2{\global\advance\refcount by 1
  \immediate\write\refout{\string\refdef{#1}{\the\refcount}}%
  \par{\hangindent=2.5em\rightskip=0pt plus 4em\noindent\hbox to 2.5em{[\the\refcount]\hss}#2\par}\smallskip}
\newread\refin \openin\refin=\jobname.ref
\ifeof\refin \else \closein\refin \input \jobname.ref \fi
\newwrite\refout \immediate\openout\refout=\jobname.ref

% Parts (@@**) start a new page. Chapters (@@*) start a new page only when less than a third of the page is
% left, and subchapters (@@*1) never, so that the end of a short chapter does not
% leave a page nearly empty. (cwebmac's \N, with \chapterbreak for its \vfil\eject.)
\secpagedepth=2
\def\chapterbreak{%
  \vskip 0pt plus .33\vsize\penalty-300\vskip 0pt plus -.33\vsize
  \vskip\intersecskip\medskip}
% A section starts a new page only when less than a fifth of the page is left
% (cwebmac's \M, with \sectionbreak for its \vfil\penalty-100\vfilneg): a page
% then ends in the middle of a long section rather than half empty before it.
\raggedbottom
\def\sectionbreak{\vskip 0pt plus .2\vsize\penalty-100\vskip 0pt plus -.2\vsize}
\outer\def\M#1{\MN{#1}\ifon\sectionbreak
  \vskip\intersecskip\startsection\ignorespaces}
\outer\def\N#1#2#3.{%
  \ifpdf{\toksF={}\makeoutlinetoks#3\outlinedone\outlinedone}\fi
  \gdepth=#1\gtitle={#3}\MN{#2}%
  \ifon\ifnum#1=0 \vfil\eject % a part starts a page
    \else\ifnum#1<\secpagedepth \chapterbreak
    \else\sectionbreak\vskip\intersecskip\fi\fi\fi
  \message{*\secno}%
  \def\stripprefix##1>{}\def\gtitletoks{#3}%
  \edef\gtitletoks{\expandafter\stripprefix\meaning\gtitletoks}%
  \edef\next{\write\cont{\ZZ{\gtitletoks}{#1}{\secno}%
   {\noexpand\the\pageno}{\the\toksE}}}\next
  \ifpdf \ifpdftex\expandafter\xdef\csname curr#1\endcsname{\secno}
    \ifnum#1>0\countB=#1 \advance\countB by-1
      \advancenumber{chunk\the\countB.\expnumber{curr\the\countB}}\fi
  \else \special{pdf: outline #1 << /Title (\the\toksE) /Dest
    [ @@thispage /FitH @@ypos ] >>}\fi \fi
  \ifon\startsection\ifnum#1=0 {\titlefont#3}\par\medskip\noindent
    \else{\bf#3.\quad}\fi\ignorespaces}

@s GruCache int
@s Config int
@s Tensors int
@s TensorSpec int
@s Model int
@s Activations int
@s DecoderStep int
@s Vocab int
@s Pair int
@s PairList int
@s Example int
@s AdamConstants int
@s Deferred int
@s uint64_t int
@s uint32_t int
@s uint8_t int
@s int64_t int
@s size_t int
@s ssize_t int
@s FILE int
@s cJSON int
@s utf8proc_int32_t int
@s utf8proc_ssize_t int
@s utf8proc_uint8_t int
@s utf8proc_propval_t int
@s __host__ static
@s __device__ static
@s KIT_HD static
@s __global__ static
@s KIT_GLOBAL static
@s KIT_DEV static
@s dim3 int
@s cudaError_t int
@s cudaStream_t int
@s cudaGraph_t int
@s cudaGraphExec_t int
@s cudaGraphExecUpdateResultInfo int
@s cudaDeviceProp int
@s cublasHandle_t int
@s cublasStatus_t int
@s KIT_VECTOR_MATH static
@s KIT_RESTRICT const
@s _Atomic const
@s pthread_t int
@s pthread_mutex_t int
@s pthread_cond_t int
@s line normal
@s restrict const

@** Part I: the notebook's model, one pair at a time.
The first part of the book builds the model of the notebook the kit starts
from: five sentence pairs, a GRU encoder, a GRU decoder with the notebook's
attention, trained one pair at a time with teacher forcing and Adam, and
greedy decoding. It ends with the notebook's bugs, which the rest of the
book fixes.

@* What attention is for.
@^attention@>
@^encoder--decoder@>
@^notebook, the@>
@^Transformer@>
A translator reads a sentence in one language and writes it in another. The
simplest neural translator, the {\it encoder--decoder}, does it in two halves.
The encoder reads the English words one at a time and folds them into a single
vector of numbers, its {\it state}; the decoder starts from that vector and
writes French words one at a time, each time feeding back the word it has just
written. Everything the decoder knows about the English sentence must pass
through that one vector. For a long sentence that is a bottleneck: by the time
the decoder writes the last word, the first English word is a faint memory.
Figure~1 shows the two halves unrolled over a sentence: the encoder reads
\.{we}, \.{are}, \.{engineers} into the states $h_1$, $h_2$, $h_3$; the decoder
starts from the last of them and writes \.{nous}, \.{sommes}, \.{ingenieurs}
and the end-of-sentence word \EOS, each step reading the word before it. Each
box is one step of a recurrent cell, the GRU of the chapter on layers.

\medskip
\centerline{\kitpicture{420}{146}{%
\pdfliteral{q
0.94 g 2 26 164 38 re f 0.4 w 0.6 G 2 26 164 38 re S
0.6 w 0 G 28 18 m 28.00 30.00 l S
0 g 28.00 34.00 m 25.80 28.50 l 30.20 28.50 l f 1 g 10 34 36 22 re f
0.6 w 0 G 10 34 36 22 re S 0.6 w 0 G 84 18 m 84.00 30.00 l S
0 g 84.00 34.00 m 81.80 28.50 l 86.20 28.50 l f 1 g 66 34 36 22 re f
0.6 w 0 G 66 34 36 22 re S 0.6 w 0 G 140 18 m 140.00 30.00 l S
0 g 140.00 34.00 m 137.80 28.50 l 142.20 28.50 l f
1 g 122 34 36 22 re f 0.6 w 0 G 122 34 36 22 re S
0.6 w 0 G 226 18 m 226.00 30.00 l S
0 g 226.00 34.00 m 223.80 28.50 l 228.20 28.50 l f
0.92 g 208 34 36 22 re f 0.6 w 0 G 208 34 36 22 re S
0.6 w 0 G 226 56 m 226.00 99.00 l S
0 g 226.00 103.00 m 223.80 97.50 l 228.20 97.50 l f
0.6 w 0 G 282 18 m 282.00 30.00 l S
0 g 282.00 34.00 m 279.80 28.50 l 284.20 28.50 l f
0.92 g 264 34 36 22 re f 0.6 w 0 G 264 34 36 22 re S
0.6 w 0 G 282 56 m 282.00 99.00 l S
0 g 282.00 103.00 m 279.80 97.50 l 284.20 97.50 l f
0.6 w 0 G 338 18 m 338.00 30.00 l S
0 g 338.00 34.00 m 335.80 28.50 l 340.20 28.50 l f
0.92 g 320 34 36 22 re f 0.6 w 0 G 320 34 36 22 re S
0.6 w 0 G 338 56 m 338.00 99.00 l S
0 g 338.00 103.00 m 335.80 97.50 l 340.20 97.50 l f
0.6 w 0 G 394 18 m 394.00 30.00 l S
0 g 394.00 34.00 m 391.80 28.50 l 396.20 28.50 l f
0.92 g 376 34 36 22 re f 0.6 w 0 G 376 34 36 22 re S
0.6 w 0 G 394 56 m 394.00 99.00 l S
0 g 394.00 103.00 m 391.80 97.50 l 396.20 97.50 l f
0.6 w 0 G 46 45 m 62.00 45.00 l S
0 g 66.00 45.00 m 60.50 47.20 l 60.50 42.80 l f
0.6 w 0 G 102 45 m 118.00 45.00 l S
0 g 122.00 45.00 m 116.50 47.20 l 116.50 42.80 l f
0.6 w 0 G 244 45 m 260.00 45.00 l S
0 g 264.00 45.00 m 258.50 47.20 l 258.50 42.80 l f
0.6 w 0 G 300 45 m 316.00 45.00 l S
0 g 320.00 45.00 m 314.50 47.20 l 314.50 42.80 l f
0.6 w 0 G 356 45 m 372.00 45.00 l S
0 g 376.00 45.00 m 370.50 47.20 l 370.50 42.80 l f
0.6 w 0 G 158 45 m 204.00 45.00 l S
0 g 208.00 45.00 m 202.50 47.20 l 202.50 42.80 l f
0.6 w 0.35 G [2 2] 0 d 84 64 m 84.00 84.00 l S [] 0 d
0.6 w 0.35 G [2 2] 0 d 84 84 m 384.00 84.00 l S [] 0 d
0.6 w 0.35 G [2 2] 0 d 216 84 m 216.00 61.00 l S [] 0 d
0.35 g 216.00 57.00 m 218.20 62.50 l 213.80 62.50 l f
0.6 w 0.35 G [2 2] 0 d 272 84 m 272.00 61.00 l S [] 0 d
0.35 g 272.00 57.00 m 274.20 62.50 l 269.80 62.50 l f
0.6 w 0.35 G [2 2] 0 d 328 84 m 328.00 61.00 l S [] 0 d
0.35 g 328.00 57.00 m 330.20 62.50 l 325.80 62.50 l f
0.6 w 0.35 G [2 2] 0 d 384 84 m 384.00 61.00 l S [] 0 d
0.35 g 384.00 57.00 m 386.20 62.50 l 381.80 62.50 l f
Q}%
\kitput{28}{8}{\.{we}}%
\kitput{28}{42}{$h_1$}%
\kitput{84}{8}{\.{are}}%
\kitput{84}{42}{$h_2$}%
\kitput{140}{8}{\.{engineers}}%
\kitput{140}{42}{$h_3$}%
\kitput{226}{8}{\.{<SOS>}}%
\kitput{226}{42}{$d_1$}%
\kitput{226}{112}{\.{nous}}%
\kitput{282}{8}{\.{nous}}%
\kitput{282}{42}{$d_2$}%
\kitput{282}{112}{\.{sommes}}%
\kitput{338}{8}{\.{sommes}}%
\kitput{338}{42}{$d_3$}%
\kitput{338}{112}{\.{ingenieurs}}%
\kitput{394}{8}{\.{ingenieurs}}%
\kitput{394}{42}{$d_4$}%
\kitput{394}{112}{\.{<EOS>}}%
\kitput{187}{53}{\eightrm $d_0=h_3$}%
\kitput{84}{89}{\eightrm attention: $O=(o_1,o_2,o_3)$, with $o_i=h_i$}%
\kitput{84}{104}{encoder}%
\kitput{310}{132}{decoder}%
}}
\kitcaption{.95\hsize}{Figure~1. The encoder--decoder, unrolled over a
sentence. Each box is one step of a GRU, the same cell at every step of its
half. The encoder's states are kept as the outputs $o_i$ that every step of
the decoder attends to (dashed). In training, the decoder's inputs are the
right words, as here ({\it teacher forcing\/}); in translating, each step
reads the word that the step before it wrote.}


{\it Attention\/} removes the bottleneck. The encoder keeps the state it had
after every word, one vector per English word, and at every step the decoder
computes a set of weights, one per English word, that say how much it wants to
look at each of them now. The weighted average of the encoder's vectors, the
{\it context}, goes into the decoder's step together with the previous word.
The weights are numbers we can print and draw: a picture of what the
translator looks at while it writes each word. The same idea, without the
recurrent network around it, is the whole of the Transformer~\cite{vaswani}.

Figure~2 draws one step of it, for a sentence of three words. Each of the
encoder's states $o_1$, $o_2$, $o_3$ gets a {\it score\/} $s_i$, a number
that compares it with the decoder's state $d_{t-1}$; the softmax turns the
scores into weights that are positive and add up to one; and the context
$c$, the sum of the states weighted by them, goes into the decoder's step $t$
together with $d_{t-1}$. The decoder's new state $d_t$ chooses the word
$y_t$, and the next step starts from it. (The numbers are those of the worked
examples in the chapter on layers: the scores $(1,2,3)$ and states of two
numbers, $o_1=(1,0)$, $o_2=(0,1)$, $o_3=(1,1)$.)

\medskip
\centerline{\kitpicture{400}{236}{%
\pdfliteral{q
0.6 w 0 G 140 24 m 140.0 30.0 l S
0 g 140.00 34.00 m 137.80 28.50 l 142.20 28.50 l f
0.92 g 118 34 44 22 re f 0.6 w 0 G 118 34 44 22 re S
0.6 w 0 G 140 56 m 140.0 73.0 l S
0 g 140.00 77.00 m 137.80 71.50 l 142.20 71.50 l f
1 g 151 88 m 151 94.0753 146.0753 99 140 99 c 133.9247 99 129 94.0753 129 88 c 129 81.9247 133.9247 77 140 77 c 146.0753 77 151 81.9247 151 88 c f
0.6 w 0 G 151 88 m 151 94.0753 146.0753 99 140 99 c 133.9247 99 129 94.0753 129 88 c 129 81.9247 133.9247 77 140 77 c 146.0753 77 151 81.9247 151 88 c S
0.35 g 131 134 18 5.04 re f 0.6 w 0 G 140 99 m 140.0 129.0 l S
0 g 140.00 133.00 m 137.80 127.50 l 142.20 127.50 l f
0.6 w 0 G 210 24 m 210.0 30.0 l S
0 g 210.00 34.00 m 207.80 28.50 l 212.20 28.50 l f
0.92 g 188 34 44 22 re f 0.6 w 0 G 188 34 44 22 re S
0.6 w 0 G 210 56 m 210.0 73.0 l S
0 g 210.00 77.00 m 207.80 71.50 l 212.20 71.50 l f
1 g 221 88 m 221 94.0753 216.0753 99 210 99 c 203.9247 99 199 94.0753 199 88 c 199 81.9247 203.9247 77 210 77 c 216.0753 77 221 81.9247 221 88 c f
0.6 w 0 G 221 88 m 221 94.0753 216.0753 99 210 99 c 203.9247 99 199 94.0753 199 88 c 199 81.9247 203.9247 77 210 77 c 216.0753 77 221 81.9247 221 88 c S
0.35 g 201 134 18 13.70 re f 0.6 w 0 G 210 99 m 210.0 129.0 l S
0 g 210.00 133.00 m 207.80 127.50 l 212.20 127.50 l f
0.6 w 0 G 280 24 m 280.0 30.0 l S
0 g 280.00 34.00 m 277.80 28.50 l 282.20 28.50 l f
0.92 g 258 34 44 22 re f 0.6 w 0 G 258 34 44 22 re S
0.6 w 0 G 280 56 m 280.0 73.0 l S
0 g 280.00 77.00 m 277.80 71.50 l 282.20 71.50 l f
1 g 291 88 m 291 94.0753 286.0753 99 280 99 c 273.9247 99 269 94.0753 269 88 c 269 81.9247 273.9247 77 280 77 c 286.0753 77 291 81.9247 291 88 c f
0.6 w 0 G 291 88 m 291 94.0753 286.0753 99 280 99 c 273.9247 99 269 94.0753 269 88 c 269 81.9247 273.9247 77 280 77 c 286.0753 77 291 81.9247 291 88 c S
0.35 g 271 134 18 37.25 re f 0.6 w 0 G 280 99 m 280.0 129.0 l S
0 g 280.00 133.00 m 277.80 127.50 l 282.20 127.50 l f
0.6 w 0 G 162 45.0 m 184.0 45.0 l S
0 g 188.00 45.00 m 182.50 47.20 l 182.50 42.80 l f
0.6 w 0 G 232 45.0 m 254.0 45.0 l S
0 g 258.00 45.00 m 252.50 47.20 l 252.50 42.80 l f
0.4 w 0.5 G 120 134 m 300 134 l S 0.92 g 132 200 156 20 re f
0.6 w 0 G 132 200 156 20 re S
0.6 w 0 G 140 142.04 m 166.26003062536643 196.39826339450852 l S
0 g 168.00 200.00 m 163.63 196.00 l 167.59 194.09 l f
0.6 w 0 G 210 150.7032 m 210.0 196.0 l S
0 g 210.00 200.00 m 207.80 194.50 l 212.20 194.50 l f
0.6 w 0 G 280 174.25119999999998 m 254.94431079898558 197.29241178925287 l S
0 g 252.00 200.00 m 254.56 194.66 l 257.54 197.90 l f
0.92 g 335 77 50 22 re f 0.6 w 0 G 335 77 50 22 re S
0.92 g 335 200 50 20 re f 0.6 w 0 G 335 200 50 20 re S
0.6 w 0 G 288 210.0 m 331.0 210.0 l S
0 g 335.00 210.00 m 329.50 212.20 l 329.50 207.80 l f
0.6 w 0 G 360.0 99 m 360.0 196.0 l S
0 g 360.00 200.00 m 357.80 194.50 l 362.20 194.50 l f
0.6 w 0.35 G [2 2] 0 d 335 92 m 315 135 170 127 148.25 95.26 c S [] 0 d
0.35 g 148.25 95.26 m 153.17 98.55 l 149.54 101.04 l f
0.6 w 0.35 G [2 2] 0 d 335 92 m 315 128 240 120 218.25 95.26 c S [] 0 d
0.35 g 218.25 95.26 m 223.53 97.94 l 220.23 100.84 l f
0.6 w 0.35 G [2 2] 0 d 335 92 m 315 121 310 113 288.25 95.26 c S [] 0 d
0.35 g 288.25 95.26 m 293.90 97.03 l 291.12 100.44 l f
Q}%
\kitputl{0}{14}{English words $x_i$}%
\kitputl{0}{42}{encoder states $o_i$}%
\kitputl{0}{85}{scores $s_i$}%
\kitputl{0}{148}{weights $w=\softmax(s)$}%
\kitputl{0}{207}{context $c$}%
\kitput{140}{14}{\.{we}}%
\kitput{140}{42}{$o_1$}%
\kitput{140}{85}{$1$}%
\kitputl{152}{135}{$0.090$}%
\kitput{210}{14}{\.{are}}%
\kitput{210}{42}{$o_2$}%
\kitput{210}{85}{$2$}%
\kitputl{222}{137.852}{$0.245$}%
\kitput{280}{14}{\.{engineers}}%
\kitput{280}{42}{$o_3$}%
\kitput{280}{85}{$3$}%
\kitputl{292}{149.626}{$0.665$}%
\kitput{210}{207}{$c=\sum_iw_io_i=(0.755,0.910)$}%
\kitput{360}{85}{$d_{t-1}$}%
\kitput{360}{65}{\eightrm decoder}%
\kitput{360}{207}{step $t$}%
\kitput{360}{225}{\eightrm $d_t$, the word $y_t$}%
}}
\kitcaption{.95\hsize}{Figure~2. One step of attention. The scores compare
the decoder's state $d_{t-1}$ (dashed) with each encoder state $o_i$; the
weights are their softmax, drawn as bars; the context is the weighted sum of
the $o_i$. In the notebook's model the scores come from $d_{t-1}$ and the
input word alone, without the arrows from the $o_i$ up to the $s_i$: the
chapter on the decoder shows what that costs.}

This book is a complete program that trains such a translator and explains
every line of it, in the manner of Knuth's literate programs~\cite{cweb}: one
document is both the book and the program. It starts where a \PB{PyTorch}
notebook, {\it Attention Mechanism in Sequence-to-Sequence (Seq2Seq)
Models\/}~\cite{notebook} ({\it the notebook\/} from now on), starts:
@^literate programming@>
@^PyTorch parity@>
five English sentences and their French translations, a GRU encoder~\cite{cho},
a decoder with attention~\cite{bahdanau}, teacher forcing, greedy decoding and
heatmaps of the attention weights. Its model is the one of \PB{PyTorch}'s
translation tutorial~\cite{tutorial}, cut down to five pairs. It does the same work in C, without an automatic
differentiation library, so the gradient of every layer is derived here by
hand and checked against finite differences and against \PB{PyTorch}. Along
the way it fixes the notebook's bugs, and it trains about forty times faster
than the notebook on the same machine.

The program, its tests and its graded exercises are {\it the kit}. Eleven
sections of the program are exercises: such a section says so (``This is
exercise~1's code''), and the statement of the exercise follows it. In the
student's copy of the kit those sections are stubs; each exercise is graded
by {\it public tests}, which the student has, and {\it hidden tests}, kept
for grading. The chapter on the exercises, at the end, lists them all.

@ A reader who knows the notebook will find its parts here:
\medskip
\halign{\indent#\hfil\quad&#\hfil\cr
{\it in the notebook}&{\it in this book}\cr
\noalign{\smallskip}
Parts 2 and 3: the five pairs, the class \.{Lang}&The data and the vocabulary\cr
Part 4: the encoder&Layers; The encoder\cr
Part 5: the attention decoder&The attention decoder\cr
Part 6: the training function&Training; The backward pass\cr
Part 7: the model and its optimizers&Parameters in one buffer; Adam\cr
Part 8: the training loop&The command line (\.{attention train})\cr
Part 9: translating&Inference: greedy decoding\cr
Parts 10 to 12: the heatmaps&Figures drawn with Cairo\cr}
\medskip
\noindent Beyond the notebook, the book shows what is wrong with it and how
the kit fixes it, saves models that \PB{PyTorch} can read, and ends with the
graded exercises. Part II, ``Attention that looks at the words'', adds
batches, masks and the content-based attention of Bahdanau, of Luong and of
the Transformer's many heads; the chapter ``Decoding as search, and how to
score a translation'' adds beam search~\cite{wu} and the BLEU
score~\cite{papineni}, which measures a translation by the sequences of words
it shares with a reference.
@^BLEU@>

@ {\it Notation.} A letter keeps one meaning throughout the book.
The English sentence is $x_1,\dots,x_T$ ($T$ words) and its French
translation $y_1,\dots,y_{T'}$ ($T'$ words, \EOS\ included); the two
vocabularies have $V_s$ and $V_t$ words (|V_in| and |V_out| in the code, and
|V| in a layer that sees only one of them). $H$ is the hidden size, $L$ the
longest sentence and the number of attention slots, $B$ the number of rows of
a batch and $C$ the number of inputs of a layer. The encoder's states are
$h_t$, stacked into the matrix $O$ of its outputs $o_i$; the decoder's states
are $d_t$. A GRU cell computes a new state $h'$ from an old state $h$ (a
prime on a state means nothing else), with the gates $r$, $z$ and the candidate $n$.
$E$ and $F$ are the English and French embedding tables, $W$ a weight matrix
and $b$ a bias, $s$ the attention scores, $w$ the weights and $c$ the
context; $\bar q$ is the gradient of the loss with respect to $q$. The
chapter on the backward pass has a table from these names to the code's.
Part II keeps these letters and adds those that a batch and the papers
need: the sentence $b$ of a batch as a first subscript ($q_b$, $w_{b,i}$; a
bias always stands beside its weight, as in $W_aq+b$, so the two do not
meet); the source length $S$ and a source position $s$; the {\it keys\/}
$k_i$, which are the encoder's outputs $o_i$ under the papers' name; the
scores $e_i$, as the papers write them, because there $s$ counts positions;
and the $d_k=H/N$ numbers of each head of multi-head attention.
@^notation@>

@ The program at a glance. The model, for one pair of sentences, is this.
The encoder runs a GRU over the embeddings of the English words
$x_1,\dots,x_T$ and keeps its states as the rows of $O$:
$$h_0=0,\qquad h_t={\rm GRU}(E_{x_t},h_{t-1}),\qquad o_t=h_t.$$
The decoder starts from $d_0=h_T$ and the word $y_0=\SOS$. At step $t$ it
scores the rows of $O$, takes the softmax $w$ of the scores and the context
$c=O^{\top}w$, runs its GRU on the input word and the context,
$d_t={\rm GRU}(u_t,d_{t-1})$, and turns the new state into the
log-probabilities $\ell_t$ of the next word. Training lowers the loss
$-\sum_t\ell_t[y_t]$ with Adam, the decoder's inputs being the right words;
translating feeds each step the most probable word of the step before, until
\EOS. The chapters of Part I build these pieces in that order.
@^model, at a glance@>

Part II runs the same model on a {\it batch\/} of $B$ pairs at once, with
attention that reads the words. The $B$ English sentences, padded with
\.{<PAD>} to the longest, $S$ words, are read by the encoder a step at a
time as one $B\times H$ matrix per step, and its outputs are the {\it keys}
$k_{b,1},\dots,k_{b,S}$ of each sentence $b$; a mask marks the padding. At
each decoder step, every row $b$ scores its own keys with its query $q_b$ (a
state of the decoder), $e_{b,i}={\rm score}(q_b,k_{b,i})$; a {\it masked\/}
softmax gives the weights, exactly 0 on padding; the context is
$c_b=\sum_iw_{b,i}k_{b,i}$; the GRU and the output layer run on $B$ rows at
once, as matrix products. The loss is the mean of $-\ell_t[y_t]$ over the
real French words of the batch, none of the padding.
@^batch, at a glance@>

One web, this document, tangles into a few C files, each a part of the
story:

\item{$\bullet$} \.{generated/attention.h}: the sizes, types and small
per-element functions that every part shares;
\item{$\bullet$} \.{generated/util.c}: error messages and memory;
\item{$\bullet$} \.{generated/vocab.c}: the vocabularies, the sentence
normalisation and the reader of pair files;
\item{$\bullet$} \.{generated/layers.c}: the layers, each with its forward and
its backward pass;
\item{$\bullet$} \.{generated/model.c}: the parameters, the encoder, the
attention decoder, the loss, Adam and greedy decoding;
\item{$\bullet$} \.{generated/batch.c}: Part II's batched model, its forward
and backward passes, written once over a {\it backend\/} that does the
arithmetic: \.{generated/backend\_cpu.c} (OpenBLAS) or
\.{generated/backend\_cuda.cu} (the GPU, with \.{cuda\_kernels.h});
\item{$\bullet$} \.{generated/decode.c}: the beam search, BLEU and the
held-out split of Part III;
\item{$\bullet$} \.{generated/checkpoint.c}: models saved and loaded in the
safetensors format that \PB{PyTorch} users share;
\item{$\bullet$} \.{generated/figures.c}: the heatmaps and loss curves, drawn
with Cairo;
\item{$\bullet$} \.{generated/main.c}: the command line, \.{attention train},
\.{translate}, \.{eval} and the rest.

\noindent Everything but \.{main.c} is a library, \.{libattention.a}, which
the tests and the graded exercises link against.

@(generated/attention.h@>=
#pragma once
@<Header includes@>@;
@<Constants@>@;
@<Types@>@;
@<Type of the model@>@;
@<Per-element math shared by CPU and GPU@>@;
@<Prototypes@>@;

@ The header includes only what its declarations need.
@<Header includes@>=
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>

@ Two words are in every vocabulary before any real word: \SOS\ (start of
sentence), the input that the decoder sees at its first step, and \EOS\ (end
of sentence), the word that tells the decoder to stop. They get the indices
0 and 1, as in the notebook.
@^start of sentence@>
@^end of sentence@>

@<Constants@>=
#define SOS_TOKEN 0
#define EOS_TOKEN 1
#define DEFAULT_HIDDEN 128
#define DEFAULT_MAX_LENGTH 10
#define MAX_WORD_BYTES 1024
#define ROW_BLOCK 4096 /* floats of weight gradient updated at a time */

@ The per-element functions (a sigmoid, one unit of a GRU) are written once and
used by the CPU loops of this program. They are marked |KIT_HD| so that a CUDA
kernel can call the very same functions: under \.{nvcc} the mark means
``compile for host and device'', under a plain C compiler it means nothing.
@^CUDA@>

@<Constants@>=
#ifdef __CUDACC__
#define KIT_HD __host__ __device__
#define KIT_RESTRICT __restrict__
#else
#define KIT_HD
#define KIT_RESTRICT restrict
#endif

@* The data and the vocabulary.
@^vocabulary@>
A network computes with numbers, not words, so the first job is to give every
word a number. A {\it vocabulary\/} is a list of words: the number of a word is
its place in the list. We keep two, one for English (the {\it source\/}
language) and one for French (the {\it target\/}). As in the notebook, \SOS\ is
0, \EOS\ is 1, and the other words follow in the order in which they first
appear in the training pairs. That order matters: a checkpoint stores the
weights row by row in vocabulary order, so a model trained in \PB{PyTorch} and
one trained here line up only if the two programs number the words alike.

Looking a word up must be fast (the corpus has tens of thousands of words to
read), so next to the list we keep a hash table: an array of slots, each empty
(0) or holding a word's index plus one.
@^hash table@>

@<Types@>=
typedef struct {
  char **word; /* |word[i]| is the word with index |i| */
  int n; /* number of words */
  int cap; /* allocated length of |word| */
  int *slot; /* the hash table: 0 is empty, $k>0$ means index $k-1$ */
  int nslot; /* number of slots, a power of two, at least $2n$ */
} Vocab;

@ The vocabularies, the normaliser and the reader of pair files share one file: all three turn text into words, and only they need \.{utf8proc}.
@(generated/vocab.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <utf8proc.h>
@<Vocabulary functions@>@;
@<Normalisation functions@>@;
@<Pair functions@>@;

@ The hash function is FNV-1a, 32 bits: for each byte, exclusive-or it into
the hash and multiply by the FNV prime $2^{24}+2^8+\.{0x93}$. It is short,
it mixes the bytes of short strings well, and it is the same on every machine.
For example, \.{<SOS>} hashes to 2509806948 and \.{i} to 3960223172. Their
low five bits are both 4, so in a table of 32 slots they share the home slot
4: \.{i}, added after \.{<SOS>}, finds slot 4 taken and walks on to slot 5.
@^FNV-1a hash@>
@^worked numbers@>
@<Vocabulary functions@>=
static uint32_t word_hash(const char *w)
{
  uint32_t h = 2166136261u;
  for (; *w; w++) {
    h ^= (uint8_t) *w;
    h *= 16777619u;
  }
  return h;
}

@ To find a word we start at the slot its hash names and walk forward, one
slot at a time and wrapping around at the end, until we meet either the word
or an empty slot ({\it linear probing\/}). Because the table is never more
than half full, the walk is short and always ends. |vocab_probe| returns the
slot where the word is, or the empty slot where it would go.
@^linear probing@>
@<Vocabulary functions@>=
static int *vocab_probe(const Vocab *v, const char *w)
{
  @<Walk the probe sequence of |w| to its slot or to an empty one@>@;
}

@ This is exercise~1's code. The mask |nslot-1| takes the hash modulo the
table size, which is a power of two.
@<Walk the probe sequence of |w| to its slot or to an empty one@>=
uint32_t mask = (uint32_t) v->nslot - 1;
uint32_t i = word_hash(w) & mask;
while (v->slot[i] != 0 && strcmp(v->word[v->slot[i] - 1], w) != 0)
  i = (i + 1) & mask;
return &v->slot[i];

@ Exercise~1 (easy, 4 points). Write the section above, the body of
|vocab_probe|: start at the slot that |word_hash| names (the hash modulo the
table size, a power of two), and walk forward one slot at a time, wrapping
around at the end, until you reach the word or an empty slot; return a
pointer to that slot. The tests check the indices that |vocab_add| and
|vocab_find| return, where each word sits in the table, clusters of words
with the same home slot, and 100,000 words against the clock.
@^exercises@>

@ A lookup is a probe: an occupied slot gives the index, an empty one says the
word is not in the vocabulary.
@<Vocabulary functions@>=
int vocab_find(const Vocab *v, const char *w)
{
  int *s = vocab_probe(v, w);
  return *s ? *s - 1 : -1;
}

@ Adding a word that is already there changes nothing and returns its index.
A new word takes the next index; when the table would become more than half
full it doubles, and every word is put back into the larger table.
@<Vocabulary functions@>=
int vocab_add(Vocab *v, const char *w)
{
  int *s = vocab_probe(v, w);
  if (*s) return *s - 1;
  if (v->n == v->cap) {
    v->cap *= 2;
    v->word = xrealloc(v->word, (size_t) v->cap * sizeof *v->word);
  }
  v->word[v->n] = xstrdup(w);
  *s = ++v->n;
  if (2 * v->n > v->nslot) @<Double the hash table and rehash every word@>@;
  return v->n - 1;
}

@ A word's slot depends on the size of the table, so every word must be probed into the new table afresh; copying the old slots would put them in the wrong places.
@<Double the hash table and rehash every word@>=
{
  free(v->slot);
  v->nslot *= 2;
  v->slot = xcalloc((size_t) v->nslot, sizeof *v->slot);
  for (int k = 0; k < v->n; k++) *vocab_probe(v, v->word[k]) = k + 1;
}

@ A new vocabulary holds the two special words.
@<Vocabulary functions@>=
void vocab_init(Vocab *v)
{
  v->n = 0;
  v->cap = 16;
  v->word = xcalloc((size_t) v->cap, sizeof *v->word);
  v->nslot = 32;
  v->slot = xcalloc((size_t) v->nslot, sizeof *v->slot);
  vocab_add(v, "<SOS>");
  vocab_add(v, "<EOS>");
}

void vocab_free(Vocab *v)
{
  for (int k = 0; k < v->n; k++) free(v->word[k]);
  free(v->word);
  free(v->slot);
  v->word = NULL;
  v->slot = NULL;
  v->n = v->cap = v->nslot = 0;
}

@ Every word of a sentence goes into the vocabulary. Words are separated by
single spaces: normalisation (below) guarantees that there are no others.
@<Vocabulary functions@>=
void vocab_add_sentence(Vocab *v, const char *s)
{
  char word[MAX_WORD_BYTES];
  while (*s) {
    size_t k = strcspn(s, " ");
    if (k >= sizeof word) k = sizeof word - 1;
    memcpy(word, s, k);
    word[k] = '\0';
    if (k > 0) vocab_add(v, word);
    s += strcspn(s, " ");
    if (*s == ' ') s++;
  }
}

@ @<Prototypes@>=
void vocab_init(Vocab *v);
void vocab_free(Vocab *v);
int vocab_find(const Vocab *v, const char *w);
int vocab_add(Vocab *v, const char *w);
void vocab_add_sentence(Vocab *v, const char *s);

@ Turning a sentence into word numbers ({\it tokenising\/}) is the reverse
lookup. A word the vocabulary does not know is an error that names the word:
the notebook crashes with a \.{KeyError} here. At most |max| words fit in
|ids|; a longer sentence is an error too, since the encoder has only $L$
places to keep its states. The |where| string starts the message (a file and
line, or ``sentence 3''). The result is the number of words, which may be
zero; the callers decide whether an empty sentence makes sense.
@^unknown word@>
@<Vocabulary functions@>=
int tokenize(const Vocab *v, const char *s, int *ids, int max,
  const char *where, const char *language)
{
  char word[MAX_WORD_BYTES];
  int n = 0;
  while (*s) {
    size_t k = strcspn(s, " ");
    if (k >= sizeof word)
      return kit_fail("%s: a word of %zu bytes is longer than the %d the kit reads",
        where, k, MAX_WORD_BYTES - 1);
    memcpy(word, s, k);
    word[k] = '\0';
    s += k;
    if (*s == ' ') s++;
    if (k > 0) @<Look |word| up and append its number to |ids|, or fail@>@;
  }
  return n;
}

@ The unknown word is named in the message, since that is what a user must fix; the length is checked only for known words, so the first problem reported is the first one in the sentence.
@<Look |word| up and append its number to |ids|, or fail@>=
{
  int id = vocab_find(v, word);
  if (id < 0)
    return kit_fail("%s: the word \"%s\" is not in the model's %s vocabulary",
      where, word, language);
  if (n == max)
    return kit_fail("%s: the sentence has more than %d words, the most this model reads",
      where, max);
  ids[n++] = id;
}

@ @<Prototypes@>=
int tokenize(const Vocab *v, const char *s, int *ids, int max,
  const char *where, const char *language);

@ The notebook's data are five pairs, built into the program; on the command
line they are \.{--pairs seed}.
@^seed pairs@>
@<Pair functions@>=
static const char *const seed_pairs[][2] = {
  {"i am a student", "je suis etudiant"},
  {"he is a teacher", "il est professeur"},
  {"she is a doctor", "elle est medecin"},
  {"we are engineers", "nous sommes ingenieurs"},
  {"they are artists", "ils sont artistes"}};

@ A pair list holds normalised sentences and, for error messages, the line of
the file each pair came from.
@<Types@>=
typedef struct {
  char *src, *tgt; /* normalised English and French */
  int line; /* line in the file, 0 for built-in pairs */
} Pair;
typedef struct {
  Pair *pair;
  int n, cap;
  char *origin; /* file name, or \.{"seed"} */
  long lines_read, dropped; /* for the report of the filter */
} PairList;

@ A pair list grows by doubling, like the vocabulary, so that reading $n$ pairs costs $O(n)$ copies in all.
@<Pair functions@>=
static void pairs_push(PairList *pl, char *src, char *tgt, int line)
{
  if (pl->n == pl->cap) {
    pl->cap = pl->cap ? 2 * pl->cap : 64;
    pl->pair = xrealloc(pl->pair, (size_t) pl->cap * sizeof *pl->pair);
  }
  pl->pair[pl->n++] = (Pair) {src, tgt, line};
}

@ The built-in pairs are copied, so that |pairs_free| frees every pair list
alike, read from a file or not.
@<Pair functions@>=
void pairs_seed(PairList *pl)
{
  *pl = (PairList) {0};
  pl->origin = xstrdup("seed");
  for (size_t k = 0; k < sizeof seed_pairs / sizeof seed_pairs[0]; k++)
    pairs_push(pl, xstrdup(seed_pairs[k][0]), xstrdup(seed_pairs[k][1]), 0);
  pl->lines_read = pl->n;
}

void pairs_free(PairList *pl)
{
  for (int k = 0; k < pl->n; k++) {
    free(pl->pair[k].src);
    free(pl->pair[k].tgt);
  }
  free(pl->pair);
  free(pl->origin);
  *pl = (PairList) {0};
}

@ The vocabularies of a model trained from scratch are those of its pairs:
every English sentence goes into one, every French sentence into the other,
in the order of the pairs.
@<Pair functions@>=
void pairs_vocabularies(const PairList *pl, Vocab *vin, Vocab *vout)
{
  vocab_init(vin);
  vocab_init(vout);
  for (int k = 0; k < pl->n; k++) {
    vocab_add_sentence(vin, pl->pair[k].src);
    vocab_add_sentence(vout, pl->pair[k].tgt);
  }
}

@ @<Prototypes@>=
void pairs_seed(PairList *pl);
void pairs_free(PairList *pl);
void pairs_vocabularies(const PairList *pl, Vocab *vin, Vocab *vout);

@*1 Normalising a sentence.
@^normalisation@>
Real data is messier than five hand-typed pairs: \.{"J'ai froid."} has
capitals, an apostrophe, an accent and a full stop. The \PB{PyTorch}
translation tutorial~\cite{tutorial} reduces every sentence to lower-case ASCII letters and
three punctuation marks, and we do exactly the same, so that the kit reads
its corpus into the same pairs:

\item{1.} lower-case every character;
\item{2.} decompose it canonically (Unicode NFD), so that {\tt\'e} becomes
\.{e} followed by a combining acute accent, and drop the combining marks
(Unicode category Mn);
\item{3.} put a space before each \.{.}, \.{!} and \.{?};
\item{4.} turn every run of other characters (not an ASCII letter and not one
of the three marks) into one space;
\item{5.} strip spaces at both ends.

\noindent So \.{"J'ai froid."} becomes \.{"j ai froid ."}: four words. A
letter with no decomposition, like {\tt\oe} in {\tt c\oe ur}, is not an ASCII
letter and becomes a space (\.{"c ur"}); that is the tutorial's rule, and the
kit keeps it so that the two read the same corpus into the same pairs.

Case mapping and decomposition are Unicode tables that change with Unicode
versions; they come from the \.{utf8proc} library, not from a hand-made list.
@^utf8proc@>

@ The normaliser reads UTF-8, one code point at a time, and writes ASCII into a
buffer that grows as needed. Steps 3 to 5 need only one bit of state: whether
a space is {\it pending}, owed before the next letter or mark. A space is never
written at the start, and one still pending at the end is never written: that
is the strip.
@<Normalisation functions@>=
typedef struct { char *s; size_t n, cap; int pending; } Out;

static void out_put(Out *o, char c)
{
  if (o->n + 3 > o->cap) {
    o->cap = 2 * o->cap + 16;
    o->s = xrealloc(o->s, o->cap);
  }
  if (o->pending && o->n > 0) o->s[o->n++] = ' ';
  o->pending = 0;
  o->s[o->n++] = c;
}

@ On invalid UTF-8 (or a NUL character, which cannot be in a C string) the
function returns |NULL| and stores in |*bad| the byte offset where decoding
failed.
@<Normalisation functions@>=
char *normalize_sentence(const char *s, size_t len, size_t *bad)
{
  Out o = {xcalloc(len + 16, 1), 0, len + 16, 0};
  size_t i = 0;
  while (i < len) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *) s + i,
      (utf8proc_ssize_t) (len - i), &c);
    if (k <= 0 || c == 0) {
      free(o.s);
      if (bad) *bad = i;
      return NULL;
    }
    i += (size_t) k;
    @<Lower-case |c|, decompose it, and send each piece to |out_put|@>@;
  }
  o.s[o.n] = '\0';
  return o.s;
}

@ This is exercise~2's code. |utf8proc_decompose_char| writes the canonical
decomposition of one code point (at most a few code points long); the marks of
category Mn are dropped, and each remaining piece is a letter, a mark or a
separator.
@<Lower-case |c|, decompose it, and send each piece to |out_put|@>=
utf8proc_int32_t piece[16];
int boundclass = 0;
utf8proc_ssize_t np = utf8proc_decompose_char(utf8proc_tolower(c), piece, 16,
  UTF8PROC_DECOMPOSE, &boundclass);
for (utf8proc_ssize_t j = 0; j < np && j < 16; j++) {
  utf8proc_int32_t d = piece[j];
  if (utf8proc_category(d) == UTF8PROC_CATEGORY_MN) continue;
  if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) out_put(&o, (char) d);
  else if (d == '.' || d == '!' || d == '?') {
    o.pending = 1;
    out_put(&o, (char) d);
  } else o.pending = 1;
}

@ Exercise~2 (medium, 4 points). Write the section above: lower-case the
code point |c|, decompose it canonically, drop the pieces of category Mn, and
send each ASCII letter and each of the three marks to |out_put|, with a space
owed before a mark and for any other character. The tests use French
sentences, letters without a decomposition (\oe, \ss, \O), combining marks,
other scripts and random text.
@^exercises@>

@ @<Prototypes@>=
char *normalize_sentence(const char *s, size_t len, size_t *bad);

@*1 Reading a file of pairs.
@^pair file@>
A pair file has one pair a line: the English sentence, a tab, the French
sentence, and optionally another tab and anything else (the Tatoeba files
carry an attribution there). The reader is strict about the shape of a line
and forgiving about its content. A line with no tab, an empty field or bytes
that are not UTF-8 is an error naming the file and the line: training on a
silently mangled corpus would be worse than stopping. A blank line and a
Windows line ending are tolerated.

Pairs that are well formed but do not pass the {\it filter\/} are dropped and
counted. A sentence can be well formed and still normalise to nothing:
\.{"20"} has no letters. The tutorial keeps such a French side (its target is
then just \EOS), and so does the kit; an English side with no words is
dropped, since the encoder needs at least one word to read. The tutorial's filter keeps a pair when both sentences have fewer
than $L=10$ words and the English one starts with one of twelve prefixes
(\.{"i am "}, \.{"he is"}, \dots). It keeps 10,599 of the 135,842 pairs of
the English--French corpus. The length filter alone (\.{--filter length})
keeps every pair short enough for the model.
@^filter@>

@<Constants@>=
#define FILTER_TUTORIAL 0
#define FILTER_LENGTH 1

@ Normalised sentences have single spaces between words and none at the ends, so counting words is counting spaces. The filter compares the counts with $L$ and, for the tutorial's filter, the English side with the twelve prefixes.
@<Pair functions@>=
static int count_words(const char *s)
{
  int n = *s ? 1 : 0;
  for (; *s; s++) n += *s == ' ';
  return n;
}

static int keep_pair(const char *en, const char *fr, int filter, int max_length)
{
  static const char *const prefixes[] = {"i am ", "i m ", "he is", "he s ",
    "she is", "she s ", "you are", "you re ", "we are", "we re ",
    "they are", "they re "};
  if (!*en) return 0;
  if (count_words(en) >= max_length || count_words(fr) >= max_length) return 0;
  if (filter == FILTER_LENGTH) return 1;
  for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++)
    if (strncmp(en, prefixes[k], strlen(prefixes[k])) == 0) return 1;
  return 0;
}

@ Lines are read with |getline|, so a line can be as long as memory allows.
@<Pair functions@>=
int pairs_read(PairList *pl, const char *path, int filter, int max_length)
{
  *pl = (PairList) {0};
  FILE *f = fopen(path, "rb");
  if (!f) return kit_fail("%s: cannot open: %s", path, strerror(errno));
  pl->origin = xstrdup(path);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int lineno = 0, status = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    @<Check the line and split it into |en| and |fr|, or fail@>@;
    @<Normalise |en| and |fr| and keep the pair if it passes the filter@>@;
  }
  @<Fail on a read error, or when no pair passed the filter@>@;
  free(line);
  fclose(f);
  if (status) pairs_free(pl);
  return status;
}

@ A file from which nothing passes the filter is an error too: training on no
pairs would only look like success.
@<Fail on a read error, or when no pair passed the filter@>=
if (status == 0 && ferror(f))
  status = kit_fail("%s: read error after line %d", path, lineno);
if (status == 0 && pl->n == 0)
  status = kit_fail("%s: no pair of its %d lines passes the %s filter",
    path, lineno, filter == FILTER_TUTORIAL ? "tutorial" : "length");

@ A line is checked before it is split: a NUL byte would cut a C string short silently, and a missing tab or an empty side would make a pair that does not mean what the file says.
@<Check the line and split it into |en| and |fr|, or fail@>=
while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
line[len] = '\0';
if (len == 0) continue;
if (strlen(line) != (size_t) len) {
  status = kit_fail("%s:%d: the line contains a NUL byte", path, lineno);
  break;
}
char *tab = strchr(line, '\t');
if (!tab) {
  status = kit_fail("%s:%d: no tab between the English and the French sentence",
    path, lineno);
  break;
}
char *en = line, *fr = tab + 1;
*tab = '\0';
char *tab2 = strchr(fr, '\t');
if (tab2) *tab2 = '\0';
if (!*en || !*fr) {
  status = kit_fail("%s:%d: the %s sentence is empty", path, lineno,
    !*en ? "English" : "French");
  break;
}

@ The byte offset of bad UTF-8 is counted from the start of the line, so that the French side's offset points into the file as an editor shows it.
@<Normalise |en| and |fr| and keep the pair if it passes the filter@>=
pl->lines_read++;
size_t bad = 0;
char *nen = normalize_sentence(en, strlen(en), &bad);
if (!nen) {
  status = kit_fail("%s:%d: invalid UTF-8 in the English sentence at byte %zu",
    path, lineno, bad + 1);
  break;
}
char *nfr = normalize_sentence(fr, strlen(fr), &bad);
if (!nfr) {
  free(nen);
  status = kit_fail("%s:%d: invalid UTF-8 in the French sentence at byte %zu",
    path, lineno, (size_t) (fr - line) + bad + 1);
  break;
}
if (keep_pair(nen, nfr, filter, max_length)) pairs_push(pl, nen, nfr, lineno);
else {
  free(nen);
  free(nfr);
  pl->dropped++;
}

@ @<Prototypes@>=
int pairs_read(PairList *pl, const char *path, int filter, int max_length);

@*1 From pairs to examples.
A training {\it example\/} is a pair in numbers: the source words and the
target words, the target ending with \EOS. The notebook forgets the \EOS: its
decoder is never shown where a sentence ends, so it never learns to stop (the
chapter on the notebook's bugs shows what comes out). The kit appends it; the
option \.{--no-eos} leaves it out, to reproduce the bug.
@^notebook bugs@>
@<Types@>=
typedef struct {
  int src[DEFAULT_MAX_LENGTH * 4], tgt[DEFAULT_MAX_LENGTH * 4];
  int src_len, tgt_len;
} Example;

@ The arrays are sized for a generous maximum length; |make_examples| checks
that the model's $L$ fits. Unknown words can occur here when the vocabularies
come from a checkpoint (\.{--init}) rather than from the pairs themselves.
@<Pair functions@>=
int make_examples(const PairList *pl, const Vocab *vin, const Vocab *vout,
  int max_length, int append_eos, Example **out)
{
  if (max_length > DEFAULT_MAX_LENGTH * 4)
    return kit_fail("max_length %d is larger than the %d this build supports",
      max_length, DEFAULT_MAX_LENGTH * 4);
  Example *ex = xcalloc((size_t) pl->n, sizeof *ex);
  char where[600];
  for (int k = 0; k < pl->n; k++) {
    if (pl->pair[k].line) snprintf(where, sizeof where, "%.500s:%d", pl->origin, pl->pair[k].line);
    else snprintf(where, sizeof where, "%.500s pair %d", pl->origin, k + 1);
    @<Tokenise pair |k| into |ex[k]|, or free |ex| and fail@>@;
  }
  *out = ex;
  return 0;
}

@ The target has room for one word less when \EOS\ is to follow it. An
English sentence must have a word; a French one may be empty when \EOS\
follows, since then the model learns to stop at once.
@<Tokenise pair |k| into |ex[k]|, or free |ex| and fail@>=
int n = tokenize(vin, pl->pair[k].src, ex[k].src, max_length, where, "English");
int m = n < 0 ? -1 : tokenize(vout, pl->pair[k].tgt, ex[k].tgt,
  max_length - (append_eos ? 1 : 0), where, "French");
if (n == 0) kit_fail("%s: the English sentence has no words", where);
else if (m == 0 && !append_eos)
  kit_fail("%s: the French sentence has no words, and without <EOS> "
    "there is nothing to learn from it", where);
if (n <= 0 || m < 0 || (m == 0 && !append_eos)) {
  free(ex);
  return -1;
}
if (append_eos) ex[k].tgt[m++] = EOS_TOKEN;
ex[k].src_len = n;
ex[k].tgt_len = m;

@ @<Prototypes@>=
int make_examples(const PairList *pl, const Vocab *vin, const Vocab *vout,
  int max_length, int append_eos, Example **out);

@* Parameters in one buffer.
@^parameters@>
The model has sixteen tensors of parameters (the notebook's \PB{PyTorch}
\.{state\_dict} lists them, and the kit uses the same names). Four numbers fix
all their shapes: the two vocabulary sizes $V_s$ and $V_t$, the hidden size
$H$ and the maximum length $L$, the number of places the attention can look at.
@<Types@>=
typedef struct {
  int V_in, V_out; /* source and target vocabulary sizes, $V_s$ and $V_t$ */
  int H; /* hidden size */
  int L; /* maximum sentence length, the number of attention slots */
} Config;

@ Following llm.c~\cite{llmc}, all parameters live in {\it one\/} contiguous
array of floats, and so do their gradients and the two {\it moments\/} of
Adam, the optimizer (running averages of each parameter's gradient and of its
square, explained in the chapter on Adam). The
optimizer is a loop over four parallel arrays, zeroing the gradients is a
|memset|, and a checkpoint is a copy. A struct of pointers
gives each tensor a name; the union lets the same pointers be walked as an
array. The table of |TensorSpec|s gives each tensor its \PB{PyTorch} name and
shape, rows by columns (|cols==0| for a vector). A linear layer's weight is
stored as \PB{PyTorch} stores it: one row per output, $W\in\reals^{\rm out\times
in}$, row-major.
@^contiguous parameter buffer@>
@^llm.c@>
@<Types@>=
enum { ENC_EMB, ENC_W_IH, ENC_W_HH, ENC_B_IH, ENC_B_HH, DEC_EMB, ATTN_W, ATTN_B,
  COMB_W, COMB_B, DEC_W_IH, DEC_W_HH, DEC_B_IH, DEC_B_HH, OUT_W, OUT_B,
  N_TENSORS };
typedef union {
  struct {
    float *enc_emb, *enc_w_ih, *enc_w_hh, *enc_b_ih, *enc_b_hh;
    float *dec_emb, *attn_w, *attn_b, *comb_w, *comb_b;
    float *dec_w_ih, *dec_w_hh, *dec_b_ih, *dec_b_hh, *out_w, *out_b;
  };
  float *t[N_TENSORS];
} Tensors;
typedef struct {
  const char *name;
  int rows, cols;
} TensorSpec;

@ The model's file holds everything that knows the shapes of the model: the parameters, the forward and backward passes, Adam and decoding. It includes the headers of threads and memory mapping for the trainer's second core and its huge pages.
@(generated/model.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
@<Model helpers@>@;
@<Model functions@>@;

@ The shapes, in the order of the notebook's \.{state\_dict}. The GRU's three
gates are stacked in one matrix of $3H$ rows.
@<Model functions@>=
void tensor_specs(const Config *c, TensorSpec s[N_TENSORS])
{
  int H = c->H;
  s[ENC_EMB] = (TensorSpec) {"encoder.embedding.weight", c->V_in, H};
  s[ENC_W_IH] = (TensorSpec) {"encoder.gru.weight_ih_l0", 3 * H, H};
  s[ENC_W_HH] = (TensorSpec) {"encoder.gru.weight_hh_l0", 3 * H, H};
  s[ENC_B_IH] = (TensorSpec) {"encoder.gru.bias_ih_l0", 3 * H, 0};
  s[ENC_B_HH] = (TensorSpec) {"encoder.gru.bias_hh_l0", 3 * H, 0};
  s[DEC_EMB] = (TensorSpec) {"decoder.embedding.weight", c->V_out, H};
  s[ATTN_W] = (TensorSpec) {"decoder.attn.weight", c->L, 2 * H};
  s[ATTN_B] = (TensorSpec) {"decoder.attn.bias", c->L, 0};
  s[COMB_W] = (TensorSpec) {"decoder.attn_combine.weight", H, 2 * H};
  s[COMB_B] = (TensorSpec) {"decoder.attn_combine.bias", H, 0};
  s[DEC_W_IH] = (TensorSpec) {"decoder.gru.weight_ih_l0", 3 * H, H};
  s[DEC_W_HH] = (TensorSpec) {"decoder.gru.weight_hh_l0", 3 * H, H};
  s[DEC_B_IH] = (TensorSpec) {"decoder.gru.bias_ih_l0", 3 * H, 0};
  s[DEC_B_HH] = (TensorSpec) {"decoder.gru.bias_hh_l0", 3 * H, 0};
  s[OUT_W] = (TensorSpec) {"decoder.out.weight", c->V_out, H};
  s[OUT_B] = (TensorSpec) {"decoder.out.bias", c->V_out, 0};
}

size_t spec_numel(const TensorSpec *s)
{
  return (size_t) s->rows * (size_t) (s->cols ? s->cols : 1);
}

@ Pointing the named views into a buffer is a running sum of sizes. With the
notebook's sizes ($V_s=V_t=16$, $H=128$, $L=10$) there are 239,770 parameters,
959,080 bytes in float32.
@<Model functions@>=
size_t tensors_point(Tensors *t, float *mem, const Config *c)
{
  TensorSpec s[N_TENSORS];
  tensor_specs(c, s);
  size_t off = 0;
  for (int k = 0; k < N_TENSORS; k++) {
    if (t) t->t[k] = mem ? mem + off : NULL;
    off += spec_numel(&s[k]);
  }
  return off;
}

@ @<Prototypes@>=
void tensor_specs(const Config *c, TensorSpec s[N_TENSORS]);
size_t spec_numel(const TensorSpec *s);
size_t tensors_point(Tensors *t, float *mem, const Config *c);

@ The model is the configuration, the two vocabularies, the four buffers with
their views, Adam's step counter and the activations of the last forward pass
(the chapters on the encoder and the decoder list them).
@<Type of the model@>=
@<Type of the activations@>@;
typedef struct {
  Config cfg;
  Vocab vin, vout;
  size_t n_params;
  float *param_mem, *grad_mem, *m_mem, *v_mem;
  Tensors params, grads;
  long adam_t; /* number of Adam steps taken */
  Activations act;
  struct Pipeline *pipeline; /* the encoder's thread, once started (|train_pairs|) */
} Model;

@ |model_alloc| takes ownership of the two vocabularies; their sizes must match
the configuration.
@<Model functions@>=
void model_alloc(Model *m, const Config *c, Vocab *vin, Vocab *vout)
{
  memset(m, 0, sizeof *m);
  m->cfg = *c;
  m->vin = *vin;
  m->vout = *vout;
  m->n_params = tensors_point(NULL, NULL, c);
  @<Carve the four buffers out of one allocation@>@;
  tensors_point(&m->params, m->param_mem, c);
  tensors_point(&m->grads, m->grad_mem, c);
  activations_alloc(&m->act, c);
}

void model_free(Model *m)
{
  pipeline_stop(m->pipeline);
  free(m->param_mem);
  activations_free(&m->act);
  vocab_free(&m->vin);
  vocab_free(&m->vout);
  memset(m, 0, sizeof *m);
}

@ @<Prototypes@>=
void model_alloc(Model *m, const Config *c, Vocab *vin, Vocab *vout);
void model_free(Model *m);

@ Initialisation follows \PB{PyTorch}'s defaults, so that the kit trains from
the same distribution as the notebook (not from the same numbers: the random
generators differ). An embedding row is drawn from the standard normal
distribution $N(0,1)$. Every weight and bias of a linear layer with $C$ inputs
is uniform on $[-1/\sqrt C,1/\sqrt C]$, and so is every GRU parameter, with
$C=H$.
@^initialisation@>
@^PyTorch parity@>

The random numbers come from |erand48|, the 48-bit linear congruential
generator that POSIX specifies exactly, so a seed gives the same model on
every machine; normal deviates come from the Box--Muller transform.
@^random numbers@>
@<Model helpers@>=
static double uniform(unsigned short xs[3], double a)
{
  return a * (2.0 * erand48(xs) - 1.0);
}

double random_normal(unsigned short xs[3])
{
  double u = 1.0 - erand48(xs), v = erand48(xs);
  return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

@ Each tensor is filled in the order of the buffer, so a seed gives the same
numbers in the same places every time. The score and combine layers read
$2H$ inputs, the others $H$.
@<Model functions@>=
void model_init_random(Model *m, uint64_t seed)
{
  @<Set the generator's 48 bits of state from |seed|@>@;
  TensorSpec s[N_TENSORS];
  tensor_specs(&m->cfg, s);
  for (int k = 0; k < N_TENSORS; k++) {
    size_t n = spec_numel(&s[k]);
    float *p = m->params.t[k];
    int fan_in = (k == COMB_W || k == COMB_B || k == ATTN_W || k == ATTN_B) ?
      2 * m->cfg.H : m->cfg.H;
    for (size_t i = 0; i < n; i++)
      p[i] = (float) (k == ENC_EMB || k == DEC_EMB ? random_normal(xs)
        : uniform(xs, 1.0 / sqrt((double) fan_in)));
  }
  m->adam_t = 0;
}

@ The low 32 bits of the seed go where POSIX's |srand48| puts them, above
the constant \.{0x330e}; the next 16 bits are mixed into that constant, so
that every seed up to $2^{48}$ gives its own model.
@<Set the generator's 48 bits of state from |seed|@>=
unsigned short xs[3] = {(unsigned short) (0x330e ^ (seed >> 32)), (unsigned short) seed,
  (unsigned short) (seed >> 16)};

@ @<Prototypes@>=
void model_init_random(Model *m, uint64_t seed);
double random_normal(unsigned short xs[3]);

@* Layers.
@^layers@>
The model is built from five kinds of layer: an embedding, a linear map, a GRU
cell, the attention and a log-softmax. Each is a pair of C functions: a
{\it forward\/} function that computes the layer's output, and a
{\it backward\/} function, written in the chapter on the backward pass, that
turns the gradient of the loss with respect to the output into gradients with
respect to the inputs and the parameters.

Every layer takes a batch of $B$ rows and works on all of them. In this
version the trainer feeds one sentence pair at a time, as the notebook does,
but the batch dimension is used already: the steps of one sentence are a
batch wherever they do not depend on each other. The encoder's input products
for all words are one batched call; so is the output layer for all target
words, and so are all the weight gradients.
@^batch dimension@>

@(generated/layers.c@>=
#include "attention.h"
#include <string.h>
@<Layer helpers@>@;
@<Layer functions@>@;

@ An {\it embedding\/} is a table with one row of $H$ numbers per word: the
layer looks up the rows of the given words. Its output for word $x$ is row $x$
of the table $E$, written $E_x$.
@^embedding@>
@<Layer functions@>=
void embedding_forward(float *out, const float *table, const int *ids, int B, int H)
{
  for (int b = 0; b < B; b++)
    memcpy(out + (size_t) b * H, table + (size_t) ids[b] * H, (size_t) H * sizeof(float));
}

@ A {\it linear\/} layer with weight $W\in\reals^{m\times C}$ and bias
$b\in\reals^m$ maps $x\in\reals^C$ to $y=Wx+b$: output $i$ is the dot product
of row $i$ of $W$ with $x$, plus $b_i$. For a batch of $B$ inputs it does
$BmC$ multiply-adds, and it is where most of the time of the forward and
backward passes goes.
@^linear layer@>

The dot product is the inner loop. A float sum depends on the order of its
additions, and a compiler may not reorder them on its own; so we choose an
order that vector hardware likes: sixteen running sums, one per lane of a
vector register, that take every sixteenth product, added together pairwise at
the end. The order is fixed in the source, so the result is the same on every
machine and with every vector width, on one condition: that the compiler does
not {\it contract\/} a multiplication and the addition after it into one
fused multiply-add, which rounds once instead of twice and so gives other
sums. Compilers may do that by default where the processor has the
instruction; the Makefile forbids it with \.{-ffp-contract=off}. (The vector
|expf| and |tanhf| of the gates may still differ from the scalar ones in the
last place: see the chapter ``Fast kernels''.)
@^fused multiply-add@>
@^dot product@>
@^vectorisation@>
@<Layer functions@>=
static inline float dot(const float *a, const float *b, int n)
{
  float acc[16] = {0};
  int i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] += a[i + k] * b[i + k];
  for (int k = 0; k < 8; k++) acc[k] += acc[k + 8];
  for (int k = 0; k < 4; k++) acc[k] += acc[k + 4];
  for (int k = 0; k < 2; k++) acc[k] += acc[k + 2];
  float s = acc[0] + acc[1];
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

@ The linear layer itself, |linear_forward| (its prototype below), takes sixteen
rows of $W$ at a time, so that the vector unit is never idle, and forms each
row's sum in |dot|'s order, bit for bit: the chapter ``Fast kernels'' in Part~V
shows how. Its gradient (below) does the same with two helpers of that
chapter.

@ The rectified linear unit keeps positive numbers and sets the others to zero:
$\relu(x)=\max(x,0)$, element by element.
@^ReLU@>
@<Layer functions@>=
void relu_forward(float *out, const float *inp, int n)
{
  for (int i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

@ The {\it softmax\/} turns $n$ arbitrary scores $s_1,\dots,s_n$ into
$n$ positive weights that add up to one:
$$\softmax(s)_i={e^{s_i}\over\sum_j e^{s_j}}.$$
Computed as written it overflows as soon as a score passes about 88
($e^{89}$ is beyond the largest float). Subtracting the largest score $m$ from
every score changes nothing in exact arithmetic (the factor $e^{-m}$ cancels)
and makes every exponent at most zero, so nothing overflows and at least one
term of the sum is 1, so nothing divides by zero. For example, the scores
$(1,2,3)$ become $(-2,-1,0)$, the exponentials $0.1353+0.3679+1=1.5032$, and
the weights $(0.0900,0.2447,0.6652)$; the scores $(1001,1002,1003)$ give the
same weights, where $e^{1003}$ itself would overflow even a double.
@^softmax@>
@^worked numbers@>
@^numerical stability@>

The {\it log-softmax\/} is the logarithm of the softmax, and the same trick
gives it without ever taking the logarithm of a tiny number:
$$\log\softmax(s)_i=s_i-m-\log\sum_j e^{s_j-m}.$$
For the scores $(1,2,3)$ the log-softmax is $(-2.4076,-1.4076,-0.4076)$,
since $m+\log\sum_je^{s_j-m}=3+\log1.5032=3.4076$.
Both functions work on $B$ rows of $n$ numbers. They are exercise~3.
@^log-softmax@>
@<Layer functions@>=
void softmax_forward(float *out, const float *inp, int B, int n)
{
  for (int b = 0; b < B; b++) {
    const float *s = inp + (size_t) b * n;
    float *p = out + (size_t) b * n;
    @<Set |p| to the softmax of the |n| scores |s|@>@;
  }
}

void log_softmax_forward(float *out, const float *inp, int B, int n)
{
  for (int b = 0; b < B; b++) {
    const float *s = inp + (size_t) b * n;
    float *p = out + (size_t) b * n;
    @<Set |p| to the log-softmax of the |n| scores |s|@>@;
  }
}

@ The softmax of one row, with the largest score subtracted first so that no exponential overflows.
@<Set |p| to the softmax of the |n| scores |s|@>=
float mx = s[0], sum = 0.0f;
for (int i = 1; i < n; i++) if (s[i] > mx) mx = s[i];
for (int i = 0; i < n; i++) sum += p[i] = expf(s[i] - mx);
for (int i = 0; i < n; i++) p[i] /= sum;

@ The log-softmax of one row, with the logarithm of the sum taken once, never of a single small probability.
@<Set |p| to the log-softmax of the |n| scores |s|@>=
float mx = s[0], sum = 0.0f;
for (int i = 1; i < n; i++) if (s[i] > mx) mx = s[i];
for (int i = 0; i < n; i++) sum += expf(s[i] - mx);
float lse = mx + logf(sum);
for (int i = 0; i < n; i++) p[i] = s[i] - lse;

@ Exercise~3 (easy, 8 points). Write the two sections above, the softmax
and the log-softmax of one row of |n| scores, so that neither overflows nor
takes the logarithm of a number that has underflowed to zero: scores near
1000, and probabilities far below the smallest float, must come out right.
@^exercises@>

@ The loss of one prediction is the {\it negative log-likelihood\/} of the
right word: if the model gives log-probabilities $\ell_1,\dots,\ell_V$ and the
right word is $y$, the loss is $-\ell_y$. It is zero when the model is sure of
the right word and grows without bound as the model's probability for it goes
to zero. A batch's loss is the sum over its rows. This and its gradient are
exercise~6.
@^negative log-likelihood@>
@^loss@>
@<Layer functions@>=
float nll_forward(const float *logp, const int *target, int B, int V)
{
  float loss = 0.0f;
  @<Add to |loss| the negative log-probability of each row's target@>@;
  return loss;
}

@ One row's loss is the negative log-probability of its target, read from the log-softmax.
@<Add to |loss| the negative log-probability of each row's target@>=
for (int b = 0; b < B; b++) loss -= logp[(size_t) b * V + target[b]];

@ @<Prototypes@>=
void embedding_forward(float *out, const float *table, const int *ids, int B, int H);
void linear_forward(float *out, const float *inp, const float *weight,
  const float *bias, int B, int C, int OC);
void relu_forward(float *out, const float *inp, int n);
void softmax_forward(float *out, const float *inp, int B, int n);
void log_softmax_forward(float *out, const float *inp, int B, int n);
float nll_forward(const float *logp, const int *target, int B, int V);

@*1 The GRU cell.
@^GRU@>
A recurrent network reads a sequence one element at a time and keeps a state
vector $h\in\reals^H$ that summarises what it has read. The {\it gated recurrent
unit\/} (GRU)~\cite{cho} computes the new state $h'$ from the input $x$ and the old state
$h$ in a way that can keep information unchanged over many steps:
$$\eqalign{
r&=\sigmoid(W_{ir}x+b_{ir}+W_{hr}h+b_{hr})\cr
z&=\sigmoid(W_{iz}x+b_{iz}+W_{hz}h+b_{hz})\cr
n&=\tanh\bigl(W_{in}x+b_{in}+r\odot(W_{hn}h+b_{hn})\bigr)\cr
h'&=(1-z)\odot n+z\odot h.\cr}$$
Here $\sigmoid(a)=1/(1+e^{-a})$ is the logistic function, which squashes any
number into $(0,1)$, and $\odot$ multiplies element by element. The {\it
update gate\/} $z$ chooses, unit by unit, between keeping the old state
($z=1$) and taking the candidate $n$ ($z=0$); the {\it reset gate\/} $r$
decides how much of the old state goes into the candidate. Figure~3 draws
the cell: the two matrix products below, which do almost all the work, and
the gates above them, which work unit by unit.

\medskip
\centerline{\kitpicture{380}{200}{%
\pdfliteral{q
0.6 w 0 G 90 13 m 90.00 26.00 l S
0 g 90.00 30.00 m 87.80 24.50 l 92.20 24.50 l f
0.6 w 0 G 270 13 m 270.00 26.00 l S
0 g 270.00 30.00 m 267.80 24.50 l 272.20 24.50 l f
0.92 g 20 30 140 22 re f 0.6 w 0 G 20 30 140 22 re S
0.92 g 200 30 140 22 re f 0.6 w 0 G 200 30 140 22 re S
1 g 48 96 64 22 re f 0.6 w 0 G 48 96 64 22 re S 1 g 158 96 64 22 re f
0.6 w 0 G 158 96 64 22 re S 1 g 268 96 64 22 re f
0.6 w 0 G 268 96 64 22 re S 0.5 w 0 G 45 64 m 65.67 92.75 l S
0 g 68.00 96.00 m 63.00 92.82 l 66.58 90.25 l f
0.5 w 0.45 G 225 64 m 95.89 95.06 l S
0.45 g 92.00 96.00 m 96.83 92.57 l 97.86 96.85 l f
0.5 w 0 G 90 64 m 174.24 94.63 l S
0 g 178.00 96.00 m 172.08 96.19 l 173.58 92.05 l f
0.5 w 0.45 G 270 64 m 205.62 94.30 l S
0.45 g 202.00 96.00 m 206.04 91.67 l 207.91 95.65 l f
0.5 w 0 G 135 64 m 276.09 95.14 l S
0 g 280.00 96.00 m 274.16 96.96 l 275.10 92.67 l f
1 g 321 78 m 321 81.3138 318.3138 84 315 84 c 311.6862 84 309 81.3138 309 78 c 309 74.6862 311.6862 72 315 72 c 318.3138 72 321 74.6862 321 78 c f
0.6 w 0 G 321 78 m 321 81.3138 318.3138 84 315 84 c 311.6862 84 309 81.3138 309 78 c 309 74.6862 311.6862 72 315 72 c 318.3138 72 321 74.6862 321 78 c S
0.5 w 0.45 G 315 64 m 315.00 68.00 l S
0.45 g 315.00 72.00 m 312.80 66.50 l 317.20 66.50 l f
0.5 w 0 G 222 100 m 305.11 79.94 l S
0 g 309.00 79.00 m 304.17 82.43 l 303.14 78.15 l f
0.5 w 0 G 315 84 m 308.40 92.80 l S
0 g 306.00 96.00 m 307.54 90.28 l 311.06 92.92 l f
0.92 g 110 150 160 22 re f 0.6 w 0 G 110 150 160 22 re S
0.6 w 0 G 80 118 m 146.36 148.34 l S
0 g 150.00 150.00 m 144.08 149.71 l 145.91 145.71 l f
0.6 w 0 G 300 118 m 233.64 148.34 l S
0 g 230.00 150.00 m 234.09 145.71 l 235.92 149.71 l f
0.6 w 0 G 270 20 m 360.00 20.00 l S
0.6 w 0 G 360 20 m 360.00 161.00 l S
0.6 w 0 G 360 161 m 274.00 161.00 l S
0 g 270.00 161.00 m 275.50 158.80 l 275.50 163.20 l f
0.6 w 0 G 190 172 m 190.00 188.00 l S
0 g 190.00 192.00 m 187.80 186.50 l 192.20 186.50 l f
Q}%
\kitput{90}{4}{$x$}%
\kitput{270}{4}{$h$}%
\kitput{90}{38}{$g_i=W_ix+b_i$}%
\kitput{270}{38}{$g_h=W_hh+b_h$}%
\kitput{90}{55}{\eightrm $r$}%
\kitput{270}{55}{\eightrm $r$}%
\kitput{45}{55}{\eightrm $z$}%
\kitput{225}{55}{\eightrm $z$}%
\kitput{135}{55}{\eightrm $n$}%
\kitput{315}{55}{\eightrm $n$}%
\kitput{80}{104}{$z=\sigma(\cdot)$}%
\kitput{190}{104}{$r=\sigma(\cdot)$}%
\kitput{300}{104}{$n=\tanh(\cdot)$}%
\kitput{315}{75}{\eightrm$\odot$}%
\kitput{190}{158}{$h'=(1-z)\odot n+z\odot h$}%
\kitputl{198}{188}{$h'$}%
}}
\kitcaption{.95\hsize}{Figure~3. The GRU cell. The two products are linear
layers of $3H$ outputs each, in three thirds; each gate adds the thirds of the
two products that belong to it (grey lines come from $g_h$); the reset gate
$r$ scales the $n$ third of $g_h$ before it enters the candidate $n$; the new
state mixes the candidate and the old state $h$, unit by unit, by the update
gate $z$.}

One unit by hand: let its six products be $g_{i,r}=0.5$, $g_{h,r}=-0.3$,
$g_{i,z}=0.1$, $g_{h,z}=0.4$, $g_{i,n}=0.3$, $g_{h,n}=-0.6$ (the six linear
terms of the equations, biases included) and its old state $h=0.8$. Then
$r=\sigmoid(0.2)=0.5498$, $z=\sigmoid(0.5)=0.6225$,
$n=\tanh(0.3+0.5498\cdot(-0.6))=\tanh(-0.0299)=-0.0299$, and
$h'=0.3775\cdot(-0.0299)+0.6225\cdot0.8=0.4867$: the update gate keeps most of
the old state.
@^worked numbers@>
@^reset gate@>
@^update gate@>

@^PyTorch parity@>
These are exactly the equations of \PB{PyTorch}'s \.{nn.GRU}, and the details
matter if the kit is to match it: the gates come in the order $r,z,n$ in the
stacked matrices $W_i\in\reals^{3H\times C}$ and $W_h\in\reals^{3H\times H}$; there
are two biases $b_i$ and $b_h$; and $r$ multiplies the {\it result\/} of the
product $W_{hn}h+b_{hn}$, bias included. Other GRUs put $r$ before the
product; they compute a different function.

@ The two matrix products do almost all the work, and they are linear layers:
$g_i=W_ix+b_i$ and $g_h=W_hh+b_h$, each with $3H$ outputs. What remains is
per unit: unit $j$ needs $g_i$ and $g_h$ at $j$, $H+j$ and $2H+j$, and its old
state $h_j$. The backward pass will need $r$, $z$, $n$ and
$W_{hn}h+b_{hn}$ again, so the forward pass keeps them in a |GruCache|.
@<Types@>=
typedef struct {
  float r, z, n, ghn;
} GruCache;

@ The per-unit function is marked |KIT_HD|, so a GPU kernel can call it too.
Its body, the four equations above, is exercise~4.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline float sigmoidf_(float a)
{
  return 1.0f / (1.0f + expf(-a));
}

KIT_HD static inline float gru_unit_forward(float gir, float giz, float gin,
  float ghr, float ghz, float ghn, float h, GruCache *c)
{
  @<Compute the gates |r|, |z|, |n| of one unit and return its new state@>@;
}

@ The gates of one unit in \PB{PyTorch}'s order, with the values that the backward pass needs stored in the cache.
@<Compute the gates |r|, |z|, |n| of one unit and return its new state@>=
c->r = sigmoidf_(gir + ghr);
c->z = sigmoidf_(giz + ghz);
c->ghn = ghn;
c->n = tanhf(gin + c->r * ghn);
return (1.0f - c->z) * c->n + c->z * h;

@ Exercise~4 (easy, 8 points). Write the section above: the four
equations of the GRU for one unit, in \PB{PyTorch}'s convention, keeping $r$,
$z$, $n$ and $g_{h,n}=W_{hn}h+b_{hn}$ in the cache for the backward pass.
The hidden tests also train the translator with your unit in it.
@^exercises@>

@ The cell applies the unit function to every unit of every row of the batch.
One row is a loop over $H$ units that do not depend on one another, and the
compiler turns it into vector code, sixteen units at a time with the vector
|expf| and |tanhf| (declared in the chapter ``Fast kernels''), once it knows that
the arrays do not overlap: that is what |restrict| promises, and why the row
is a function of its own (a compiler trusts |restrict| on parameters).
@^vectorisation@>
@<Layer helpers@>=
static void gru_row_forward(float *restrict h_new, GruCache *restrict cache,
  const float *restrict gi, const float *restrict gh, const float *restrict h, int H)
{
  for (int j = 0; j < H; j++)
    h_new[j] = gru_unit_forward(gi[j], gi[H + j], gi[2 * H + j],
      gh[j], gh[H + j], gh[2 * H + j], h[j], &cache[j]);
}

@ The cell hands one row of the batch at a time to the vectorised row function, so the compiler sees one loop over $H$ independent units.
@<Layer functions@>=
void gru_cell_forward(float *h_new, GruCache *cache, const float *gi,
  const float *gh, const float *h, int B, int H)
{
  for (int b = 0; b < B; b++)
    gru_row_forward(h_new + (size_t) b * H, cache + (size_t) b * H,
      gi + (size_t) b * 3 * H, gh + (size_t) b * 3 * H, h + (size_t) b * H, H);
}

@ @<Prototypes@>=
void gru_cell_forward(float *h_new, GruCache *cache, const float *gi,
  const float *gh, const float *h, int B, int H);

@*1 The attention weights and the context.
@^attention weights@>
@^context vector@>
@^attention@>
Attention has two halves. The first computes one {\it score\/} $s_i$ for each
of the $L$ places $i$ that the decoder may look at; the ways to do that differ
from model to model (the next chapters show the notebook's, and what is wrong
with it). The second half is common to all of them: the scores become weights
with a softmax,
$$w=\softmax(s),\qquad w_i\ge0,\quad \sum_i w_i=1,$$
and the {\it context\/} is the weighted average of the encoder's outputs
$o_1,\dots,o_L$ (the rows of a matrix $O\in\reals^{L\times H}$):
$$c=\sum_{i=1}^L w_i\,o_i=O^{\top}w.$$
For a sentence of three words with $H=2$ and the outputs $o_1=(1,0)$,
$o_2=(0,1)$, $o_3=(1,1)$, the scores $(1,2,3)$ give the weights
$(0.0900,0.2447,0.6652)$ of the softmax's example, and the context is
$c=0.0900\,o_1+0.2447\,o_2+0.6652\,o_3=(0.7553,0.9100)$: mostly the third word.
@^worked numbers@>
This is exercise~5. For each of $B$ rows it does $LH$ multiply-adds; the
encoder outputs of row $b$ start at |enc_out+b*L*H|.
@<Layer functions@>=
void attention_forward(float *w, float *ctx, const float *scores,
  const float *enc_out, int B, int L, int H)
{
  for (int b = 0; b < B; b++) {
    const float *s = scores + (size_t) b * L, *O = enc_out + (size_t) b * L * H;
    float *wb = w + (size_t) b * L, *c = ctx + (size_t) b * H;
    @<Set |wb| to the softmax of |s| and |c| to the weighted sum of the rows of |O|@>@;
  }
}

@ The context is built row by row of $O$, so the inner loop runs along memory.
@<Set |wb| to the softmax of |s| and |c| to the weighted sum of the rows of |O|@>=
softmax_forward(wb, s, 1, L);
for (int j = 0; j < H; j++) c[j] = 0.0f;
for (int i = 0; i < L; i++)
  for (int j = 0; j < H; j++) c[j] += wb[i] * O[(size_t) i * H + j];

@ Exercise~5 (easy, 8 points). Write the section above for one row: the
weights |wb|, the softmax of the $L$ scores, then the context |c|, the sum of
the rows of $O$ weighted by them.
@^exercises@>

@ @<Prototypes@>=
void attention_forward(float *w, float *ctx, const float *scores,
  const float *enc_out, int B, int L, int H);

@* The encoder.
@^encoder@>
The encoder reads the English sentence $x_1,\dots,x_T$ (word numbers) and
runs a GRU over the embeddings of its words, starting from the zero state:
$$h_0=0,\qquad h_t={\rm GRU}(E_{x_t},h_{t-1})\quad(t=1,\dots,T).$$
Each $h_t$ summarises the sentence up to word $t$, with an emphasis on word
$t$ itself. The decoder uses two things: the last state $h_T$, where it
starts, and all of the states, which it attends to. The notebook copies them
into the rows of a matrix $O\in\reals^{L\times H}$ that is zero beyond row $T$:
$o_t=h_t$ for $t\le T$ and $o_t=0$ for $T<t\le L$. (So a sentence can have at
most $L$ words.)

All forward quantities of one sentence pair are kept in |Activations|, one row
per step; the backward pass reads them. Rows are sized for $L$ steps.
@^activations@>
@<Type of the activations@>=
typedef struct {
  float *eh, *scores, *w, *ec, *pre, *o, *gi, *gh, *h;
  GruCache *cache;
} DecoderStep;
typedef struct {
  int T_tgt; /* length of the current pair's target */
  int dec_in[DEFAULT_MAX_LENGTH * 4]; /* the decoder's input words */
  float *enc_x; /* $T\times H$: the embeddings $E_{x_t}$ */
  float *enc_gi, *enc_gh; /* $T\times 3H$: the GRU's two products */
  GruCache *enc_cache; /* $T\times H$ */
  float *enc_h; /* $(T+1)\times H$: $h_0=0$, then $h_1,\dots,h_T$ */
  float *enc_out; /* $L\times H$: the matrix $O$ */
  @<Decoder activations@>@;
  @<Gradient scratch@>@;
} Activations;

@ The activations are many small arrays. When the trainer runs the encoder
on a second core (see ``Two cores''), the two cores write different arrays,
and if the end of one array and the start of the next shared a 64-byte cache
line, every write by one core would take the line away from the other ({\it
false sharing\/}); measured, that made training 10 per cent slower. So each
array starts on a line of its own and fills whole lines.
@^false sharing@>
@<Model helpers@>=
static void *calloc_lines(size_t n, size_t size)
{
  size_t bytes = (n * size + 63) / 64 * 64;
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return xcalloc(n, size);
  memset(p, 0, bytes);
  return p;
}

@ Every activation array is sized for the longest sentence, $L$ steps, once, when the model is made: training then allocates nothing.
@<Model functions@>=
void activations_alloc(Activations *a, const Config *c)
{
  size_t L = (size_t) c->L, H = (size_t) c->H, V = (size_t) c->V_out;
  memset(a, 0, sizeof *a);
  a->enc_x = calloc_lines(L * H, sizeof(float));
  a->enc_gi = calloc_lines(L * 3 * H, sizeof(float));
  a->enc_gh = calloc_lines(L * 3 * H, sizeof(float));
  a->enc_cache = calloc_lines(L * H, sizeof(GruCache));
  a->enc_h = calloc_lines((L + 1) * H, sizeof(float));
  a->enc_out = calloc_lines(L * H, sizeof(float));
  @<Allocate the decoder activations@>@;
  @<Allocate the gradient scratch@>@;
}

@ Freeing walks the same fields. All of them are pointers from |calloc_lines|.
@<Model functions@>=
void activations_free(Activations *a)
{
  void *all[] = {a->enc_x, a->enc_gi, a->enc_gh, a->enc_cache, a->enc_h,
    a->enc_out, @<The decoder activations, as a list@>,
    @<The gradient scratch, as a list@>};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) free(all[k]);
  memset(a, 0, sizeof *a);
}

@ @<Prototypes@>=
void activations_alloc(Activations *a, const Config *c);
void activations_free(Activations *a);

@ The input products $W_iE_{x_t}+b_i$ do not depend on the state, so all $T$
of them are one batched linear layer before the recurrence starts. Only the
products $W_hh_{t-1}+b_h$ have to wait for the previous step, and the first
of them is just $b_h$, since $h_0=0$. The encoder costs $3(2T-1)H^2$
multiply-adds.
@<Model functions@>=
void encoder_forward(Model *m, const int *src, int T)
{
  Activations *a = &m->act;
  const Tensors *P = &m->params;
  int H = m->cfg.H;
  embedding_forward(a->enc_x, P->enc_emb, src, T, H);
  linear_forward(a->enc_gi, a->enc_x, P->enc_w_ih, P->enc_b_ih, T, H, 3 * H);
  memset(a->enc_h, 0, (size_t) H * sizeof(float));
  for (int t = 0; t < T; t++) {
    float *h = a->enc_h + (size_t) t * H;
    if (t == 0) memcpy(a->enc_gh, P->enc_b_hh, 3 * (size_t) H * sizeof(float));
    else linear_forward(a->enc_gh + (size_t) t * 3 * H, h, P->enc_w_hh, P->enc_b_hh, 1, H, 3 * H);
    gru_cell_forward(h + H, a->enc_cache + (size_t) t * H, a->enc_gi + (size_t) t * 3 * H,
      a->enc_gh + (size_t) t * 3 * H, h, 1, H);
  }
  memset(a->enc_out, 0, (size_t) m->cfg.L * H * sizeof(float));
  memcpy(a->enc_out, a->enc_h + H, (size_t) T * H * sizeof(float));
}

@ @<Prototypes@>=
void encoder_forward(Model *m, const int *src, int T);

@* The attention decoder.
@^attention decoder@>
@^location-based attention@>
The decoder writes the French sentence one word at a time. Its state starts as
the encoder's last state, $d_0=h_T$, and its first input word is
$y_0=\SOS$. At step $t$, with input word $y_{t-1}$ and state $d_{t-1}$, the
notebook's decoder computes
$$\eqtable{
e&=F_{y_{t-1}}&\hbox{(embedding of the input word)}\cr
s&=W_a[e;d_{t-1}]+b_a\in\reals^L&\hbox{(attention scores)}\cr
w&=\softmax(s),\quad c=O^{\top}w&\hbox{(weights and context)}\cr
u&=\relu\bigl(W_c[e;c]+b_c\bigr)\in\reals^H&\hbox{(the GRU's input)}\cr
d_t&={\rm GRU}(u,d_{t-1})\cr
\ell_t&=\log\softmax(W_od_t+b_o)\in\reals^{V_t}&\hbox{(log-probabilities of the next word)}\cr}$$
where $[a;b]$ stacks two vectors into one. $W_a\in\reals^{L\times2H}$ is the
notebook's \.{attn} layer and $W_c\in\reals^{H\times2H}$ its \.{attn\_combine}.

Look at the score line. The scores depend on the input word and the
decoder's state, but {\it not on the encoder's outputs}: score $i$ is a fixed
linear function that says ``look at position $i$'', whatever word is there.
This is {\it location-based\/} attention. It can learn ``the second French
word usually comes from the second English word'', but it cannot look for a
word by its meaning, and since the softmax runs over all $L$ slots, some weight
always goes to the zero rows of $O$ beyond the sentence's end.

{\it Content-based\/} attention computes each score from the decoder's state
{\it and\/} the encoder output $o_i$, and the two classic kinds differ in
which state. Bahdanau et al.~\cite{bahdanau} score with the {\it previous\/}
state $d_{t-1}$, before the GRU step, by a small network,
$s_i=v^{\top}\tanh(W_qd_{t-1}+W_ko_i)$ ({\it additive\/} attention), and
feed the context into the step. Luong et al.~\cite{luong} score with the {\it
new\/} state $d_t$, after the step, by a product, $s_i=d_t\cdot o_i$ or
$d_t^{\top}W_ko_i$, and use the context to choose the word. Either way the
softmax should run over the sentence's own $T$ words only; once sentences of
different lengths share a batch, that becomes a {\it mask\/} over the
padding. The kit calls the notebook's kind \.{--attention seed} and
reproduces it: the same weights give the same numbers as the notebook's
\PB{PyTorch} code, to rounding (the notebook uses no dropout, so its forward
pass is a fixed function of its weights). A checkpoint records the kind. The
Part II, ``Attention that looks at the words'', adds the content-based kinds,
\.{bahdanau}, \.{luong-dot}, \.{luong-general} and \.{multihead}, trained on
batches of the corpus.
@^Bahdanau attention@>
@^Luong attention@>
@^content-based attention@>
@^additive attention@>
@^masking@>
@^dropout@>

@ One decoder step keeps these vectors: $[e;d_{t-1}]$ (|eh|), $s$
(|scores|), $w$, $[e;c]$ (|ec|), $W_c[e;c]+b_c$ (|pre|), $u$ (|o|), the two GRU
products, the GRU cache and the new state $d_t$ (|h|). The vectors of all
steps are stored one after the other, and |decoder_step| points a
|DecoderStep| at those of step |t|.
@<Decoder activations@>=
float *dec_eh, *dec_scores, *dec_w, *dec_ec, *dec_pre, *dec_o, *dec_gi, *dec_gh;
GruCache *dec_cache;
float *dec_h; /* $(L+1)\times H$: $d_0=h_T$, then $d_1,\dots$ */
float *logits, *logp; /* $L\times V_t$ */

@ Each decoder array has a row for each of the $L$ steps, and |dec_h| one more for the starting state $d_0$.
@<Allocate the decoder activations@>=
a->dec_eh = calloc_lines(L * 2 * H, sizeof(float));
a->dec_scores = calloc_lines(L * L, sizeof(float));
a->dec_w = calloc_lines(L * L, sizeof(float));
a->dec_ec = calloc_lines(L * 2 * H, sizeof(float));
a->dec_pre = calloc_lines(L * H, sizeof(float));
a->dec_o = calloc_lines(L * H, sizeof(float));
a->dec_gi = calloc_lines(L * 3 * H, sizeof(float));
a->dec_gh = calloc_lines(L * 3 * H, sizeof(float));
a->dec_cache = calloc_lines(L * H, sizeof(GruCache));
a->dec_h = calloc_lines((L + 1) * H, sizeof(float));
a->logits = calloc_lines(L * V, sizeof(float));
a->logp = calloc_lines(L * V, sizeof(float));

@ The same fields again, for |activations_free|: a field added to the structure must be added here too.
@<The decoder activations, as a list@>=
a->dec_eh, a->dec_scores, a->dec_w, a->dec_ec, a->dec_pre, a->dec_o,
a->dec_gi, a->dec_gh, a->dec_cache, a->dec_h, a->logits, a->logp

@ Step $t$'s vectors are row $t$ of each array; its new state is row $t+1$ of |dec_h|, since row 0 holds $d_0$.
@<Model functions@>=
DecoderStep decoder_step(const Activations *a, const Config *c, int t)
{
  size_t H = (size_t) c->H, L = (size_t) c->L, k = (size_t) t;
  return (DecoderStep) {a->dec_eh + k * 2 * H, a->dec_scores + k * L,
    a->dec_w + k * L, a->dec_ec + k * 2 * H, a->dec_pre + k * H,
    a->dec_o + k * H, a->dec_gi + k * 3 * H, a->dec_gh + k * 3 * H,
    a->dec_h + (k + 1) * H, a->dec_cache + k * H};
}

@ One step of the decoder, the equations above in order, up to the new state.
The embedding goes to both stacked vectors. The step costs
$2LH+2H^2+6H^2+LH$ multiply-adds: the GRU is most of it.
@<Model functions@>=
void decoder_step_forward(const Model *m, int token, const float *h_prev,
  const float *enc_out, const DecoderStep *s)
{
  const Tensors *P = &m->params;
  int H = m->cfg.H, L = m->cfg.L;
  embedding_forward(s->eh, P->dec_emb, &token, 1, H);
  memcpy(s->ec, s->eh, (size_t) H * sizeof(float));
  memcpy(s->eh + H, h_prev, (size_t) H * sizeof(float));
  linear_forward(s->scores, s->eh, P->attn_w, P->attn_b, 1, 2 * H, L);
  attention_forward(s->w, s->ec + H, s->scores, enc_out, 1, L, H);
  linear_forward(s->pre, s->ec, P->comb_w, P->comb_b, 1, 2 * H, H);
  relu_forward(s->o, s->pre, H);
  linear_forward(s->gi, s->o, P->dec_w_ih, P->dec_b_ih, 1, H, 3 * H);
  linear_forward(s->gh, h_prev, P->dec_w_hh, P->dec_b_hh, 1, H, 3 * H);
  gru_cell_forward(s->h, s->cache, s->gi, s->gh, h_prev, 1, H);
}

@ @<Prototypes@>=
DecoderStep decoder_step(const Activations *a, const Config *c, int t);
void decoder_step_forward(const Model *m, int token, const float *h_prev,
  const float *enc_out, const DecoderStep *s);

@* Training: teacher forcing and the loss.
@^teacher forcing@>
@^training@>
To train, we show the model a pair and measure how surprised it is by the
right translation. With {\it teacher forcing\/} the decoder's input at step
$t$ is the right word $y_{t-1}$, not the word it would have chosen itself: the
model learns every step from a correct history, even early on, when its own
guesses are nonsense. For a target $y_1,\dots,y_{T'}$ (ending with \EOS) the
loss is the sum of the steps' negative log-likelihoods,
$$\loss=-\sum_{t=1}^{T'}\ell_t[y_t],$$
and the number the notebook prints is $\loss/T'$, averaged over the
pairs of an epoch.

Teacher forcing has a second gift, for speed: since no step's input depends on
an earlier step's output, the output layer and the log-softmax of all $T'$
steps are one batched call after the recurrence, and so is their gradient.

The decoder's half, after the encoder has run, is a function of its own:
the trainer can then run the encoder on another processor core (see
``Two cores'' in the chapter on Adam).
@<Model functions@>=
float seq2seq_forward(Model *m, const Example *ex)
{
  encoder_forward(m, ex->src, ex->src_len);
  return decoder_forward(m, ex);
}

float decoder_forward(Model *m, const Example *ex)
{
  Activations *a = &m->act;
  const Config *c = &m->cfg;
  int H = c->H, T = ex->tgt_len;
  a->T_tgt = T;
  memcpy(a->dec_h, a->enc_h + (size_t) ex->src_len * H, (size_t) H * sizeof(float));
  for (int t = 0; t < T; t++) {
    a->dec_in[t] = t == 0 ? SOS_TOKEN : ex->tgt[t - 1];
    DecoderStep s = decoder_step(a, c, t);
    decoder_step_forward(m, a->dec_in[t], a->dec_h + (size_t) t * H, a->enc_out, &s);
  }
  linear_forward(a->logits, a->dec_h + H, m->params.out_w, m->params.out_b, T, H, c->V_out);
  log_softmax_forward(a->logp, a->logits, T, c->V_out);
  return nll_forward(a->logp, ex->tgt, T, c->V_out);
}

@ @<Prototypes@>=
float seq2seq_forward(Model *m, const Example *ex);
float decoder_forward(Model *m, const Example *ex);

@* The backward pass.
@^backward pass@>
@^gradient@>
@^chain rule@>
Training moves every parameter a little in the direction that lowers the loss,
so it needs the gradient: the derivative of $\loss$ with respect to each
of the 239,770 parameters. \PB{PyTorch} records the forward computation and
differentiates it automatically. C has no such machinery, so this chapter
derives the gradient of each layer by hand, and the program applies the chain
rule in reverse order of the forward pass ({\it backpropagation}).

Notation: for any quantity $q$ of the forward pass, $\bar q$ is
$\partial\loss/\partial q$, the gradient of the loss with respect to
$q$, a vector of the same shape as $q$. A backward function receives the
$\bar q$ of its layer's output and produces the $\bar q$ of its inputs and
parameters. When a quantity feeds several later computations, its gradient is
the {\it sum\/} of what comes back from each of them, so the backward
functions {\it add\/} to the gradients of parameters and shared inputs
(\.{+=}); the gradient buffer is all zeros when a pair's backward pass
starts (the optimizer zeroes each tensor's gradients after using them). Each function is checked
against finite differences in the test suite.
@^finite differences@>

@ The names in the code follow the mathematics. A quantity $q$ of the
forward pass lives in a field of |Activations| with a name like |dec_h|, and
its gradient $\bar q$ in a field named with a |d_| in front:

\medskip
\halign{\indent$#$\hfil\quad&#\hfil\quad&#\hfil\cr
\hbox{\it math}&{\it forward}&{\it backward}\cr
\noalign{\smallskip}
z_t=W_od_t+b_o\hbox{ (logits)}&|logits|&|d_logits|\cr
\ell_t=\log\softmax(z_t)&|logp|&\cr
d_t\hbox{ (decoder state)}&|dec_h|&|d_hout| (output part), |d_h| (all)\cr
d_{t-1}\hbox{ (its old state)}&|dec_h|&|d_hprev|\cr
g_i,\ g_h\hbox{ (GRU products)}&|dec_gi|, |dec_gh|&|d_dec_gi|, |d_dec_gh|\cr
u=\relu({\rm pre})&|dec_o|, |dec_pre|&|d_o|, |d_pre|\cr
[e;c]&|dec_ec|&|d_ec|\cr
e=F_{y_{t-1}}\hbox{ (embedding)}&in |dec_ec|, |dec_eh|&|d_dec_e|\cr
s\hbox{ (scores)},\ w&|dec_scores|, |dec_w|&|d_scores|\cr
[e;d_{t-1}]&|dec_eh|&|d_eh|\cr
O\hbox{ (encoder outputs)}&|enc_out|&|d_enc_out|\cr
h_t\hbox{ (encoder state)}&|enc_h|&|d_enc_h|, |d_enc_hprev|\cr
\theta\hbox{ (any parameter)}&|params|&|grads|\cr}
\medskip
\noindent A gradient with respect to a parameter tensor is in |grads|, the
view of the gradient buffer with the same field names as |params|. Two of the
code's names are the notebook's rather than the mathematics': |dec_o| holds
$u$, the input of the decoder's GRU (the notebook's \.{output}), not an
encoder output $o_i$; and a local |T| is the length of the sentence a
function works on, the source's ($T$) in the encoder and the target's ($T'$)
in the decoder.
@^notation@>

@ {\it Log-softmax and the loss.} With $\ell=\log\softmax(z)$ and loss
$-\ell_y$: since $\ell_j=z_j-\log\sum_k e^{z_k}$,
$${\partial(-\ell_y)\over\partial z_j}=-[j=y]+{e^{z_j}\over\sum_ke^{z_k}}
=p_j-[j=y],$$
where $p=\softmax(z)=e^{\ell}$ and $[j=y]$ is 1 when $j=y$ and 0 otherwise.
The gradient with respect to the logits is the predicted distribution minus
the one-hot distribution of the right word: it pushes the right word's logit
up and every other logit down, each in proportion to its probability. The
function writes (not adds) the gradient of the summed loss of $B$ rows.
This is the second half of exercise~6. With the logits $(1,2,3)$ of the
softmax's example and the second word right, the loss is $-\ell_2=1.4076$ and
its gradient $p-{\rm onehot}(y)=(0.0900,-0.7553,0.6652)$; its entries add up
to zero, as they always do.
@^worked numbers@>
@^log-softmax, gradient of@>
@<Layer functions@>=
void nll_backward(float *dlogits, const float *logp, const int *target, int B, int V)
{
  @<Set |dlogits| to $p-{\rm onehot}(y)$ for every row@>@;
}

@ The gradient of the logits is the probability of each word, $e^{\ell_j}$, minus one for the right word.
@<Set |dlogits| to $p-{\rm onehot}(y)$ for every row@>=
for (int b = 0; b < B; b++)
  for (int j = 0; j < V; j++)
    dlogits[(size_t) b * V + j] = expf(logp[(size_t) b * V + j]) - (j == target[b] ? 1.0f : 0.0f);

@ Exercise~6 (medium, 10 points). Write the section that adds the
negative log-likelihood of each row to |loss| (in the chapter on layers) and
the section above, which writes $p-{\rm onehot}(y)$ into |dlogits|. The tests
compare your gradient with finite differences of the loss.
@^exercises@>

@ {\it The linear layer.} From $y_i=\sum_jW_{ij}x_j+b_i$:
$$\bar x_j=\sum_iW_{ij}\bar y_i\quad(\bar x=W^{\top}\bar y),\qquad
\bar W_{ij}=\bar y_i\,x_j\quad(\bar W=\bar y\,x^{\top}),\qquad \bar b=\bar y.$$
For a batch, the parameter gradients are summed over the rows. Any of the
three outputs may be |NULL| when it is not wanted. Each wanted gradient costs
$BCm$ multiply-adds, for $C$ inputs and $m$ outputs.
@^linear layer, gradient of@>
@<Layer functions@>=
void linear_backward(float *dinp, float *dweight, float *dbias,
  const float *dout, const float *inp, const float *weight, int B, int C, int OC)
{
  if (dinp) add_transposed_products(dinp, weight, dout, B, C, OC);
  if (dweight) outer_products(dweight, dout, OC, inp, B, C, OC, 1);
  if (dbias)
    for (int o = 0; o < OC; o++)
      for (int b = 0; b < B; b++) dbias[o] += dout[(size_t) b * OC + o];
}

@ {\it The ReLU} passes the gradient where its input was positive and blocks
it elsewhere: $\bar x_i=\bar y_i\,[x_i>0]$. It writes.
@<Layer functions@>=
void relu_backward(float *dinp, const float *dout, const float *inp, int n)
{
  for (int i = 0; i < n; i++) dinp[i] = inp[i] > 0.0f ? dout[i] : 0.0f;
}

@ {\it The embedding} copied row $x_b$ of the table for each row $b$ of the
batch, so the gradient of each copy goes back, added, to the row it came
from: $\bar E_{x_b}\mathrel{+}=\bar e_b$. A word that appears twice in a
sentence collects both gradients.
@<Layer functions@>=
void embedding_backward(float *dtable, const float *dout, const int *ids, int B, int H)
{
  for (int b = 0; b < B; b++) {
    float *row = dtable + (size_t) ids[b] * H;
    for (int j = 0; j < H; j++) row[j] += dout[(size_t) b * H + j];
  }
}

@ @<Prototypes@>=
void nll_backward(float *dlogits, const float *logp, const int *target, int B, int V);
void linear_backward(float *dinp, float *dweight, float *dbias,
  const float *dout, const float *inp, const float *weight, int B, int C, int OC);
void relu_backward(float *dinp, const float *dout, const float *inp, int n);
void outer_products(float *dw, const float *dy, int stride,
  const float *x, int B, int C, int rows, int add);
void embedding_backward(float *dtable, const float *dout, const int *ids, int B, int H);

@*1 The gradient of the GRU.
@^GRU, gradient of@>
Given $\bar h'$, one unit of the GRU works backwards through its four equations
(all products element by element). From $h'=(1-z)n+zh$:
$$\bar n=\bar h'(1-z),\qquad \bar z=\bar h'(h-n),\qquad
\bar h\mathrel{+}=\bar h'z.$$
The candidate is $n=\tanh(a_n)$ with $a_n=g_{i,n}+r\,g_{h,n}$ (where
$g_{i,n}=W_{in}x+b_{in}$ and $g_{h,n}=W_{hn}h+b_{hn}$), and
$\tanh'=1-\tanh^2$:
$$\bar a_n=\bar n\,(1-n^2),\qquad \bar g_{i,n}=\bar a_n,\qquad
\bar g_{h,n}=\bar a_n\,r,\qquad \bar r=\bar a_n\,g_{h,n}.$$
The gates are $r=\sigmoid(a_r)$ and $z=\sigmoid(a_z)$ with
$\sigmoid'=\sigmoid(1-\sigmoid)$, and $a_r=g_{i,r}+g_{h,r}$ reaches both
products alike:
$$\bar g_{i,r}=\bar g_{h,r}=\bar r\,r(1-r),\qquad
\bar g_{i,z}=\bar g_{h,z}=\bar z\,z(1-z).$$
That is all the per-unit work, exercise~7. The products
$g_i=W_ix+b_i$ and $g_h=W_hh+b_h$ are linear layers, and their backward
pass, $\bar x=W_i^{\top}\bar g_i$ and $\bar h\mathrel{+}=W_h^{\top}\bar g_h$
with the weight gradients, is the linear layer's.

For the unit of the example in the chapter on layers, with $\bar h'=1$:
$\bar n=1-z=0.3775$, $\bar a_n=0.3775\,(1-n^2)=0.3772$, $\bar z=h-n=0.8299$,
so $\bar g_{i,z}=\bar g_{h,z}=0.8299\cdot z(1-z)=0.1950$; then
$\bar r=\bar a_ng_{h,n}=-0.2263$ and $\bar g_{i,r}=\bar g_{h,r}=\bar
r\,r(1-r)=-0.0560$; $\bar g_{i,n}=0.3772$, $\bar g_{h,n}=\bar a_nr=0.2074$, and
the direct part of $\bar h$ is $z=0.6225$.
@^worked numbers@>
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void gru_unit_backward(float dh_new, float h, const GruCache *c,
  float *dgir, float *dgiz, float *dgin, float *dghn, float *dh)
{
  @<Compute the gradients of one GRU unit's gates from $\bar h'$@>@;
}

@ The backward pass of one unit, from the new state back to the four pre-activations, in the order of the equations above.
@<Compute the gradients of one GRU unit's gates from $\bar h'$@>=
float dn = dh_new * (1.0f - c->z);
float dz = dh_new * (h - c->n);
float dan = dn * (1.0f - c->n * c->n);
float dr = dan * c->ghn;
*dgir = dr * c->r * (1.0f - c->r);
*dgiz = dz * c->z * (1.0f - c->z);
*dgin = dan;
*dghn = dan * c->r;
*dh += dh_new * c->z;

@ Exercise~7 (hard, 12 points). Write the section above from the
equations of this chapter: the four gate gradients, written, and the direct
part $\bar h'z$, added to |*dh|. The tests compare them with finite
differences of the forward equations and train the translator with your code.
@^exercises@>

@ The cell's backward pass writes $\bar g_i$ and $\bar g_h$ (which share
their $r$ and $z$ parts) and adds the direct part $\bar h'z$ to $\bar h$.
@<Layer functions@>=
void gru_cell_backward(float *dgi, float *dgh, float *dh, const float *dh_new,
  const float *h, const GruCache *cache, int B, int H)
{
  for (int b = 0; b < B; b++) {
    float *i3 = dgi + (size_t) b * 3 * H, *h3 = dgh + (size_t) b * 3 * H;
    for (int j = 0; j < H; j++) {
      size_t k = (size_t) b * H + j;
      gru_unit_backward(dh_new[k], h[k], &cache[k], &i3[j], &i3[H + j],
        &i3[2 * H + j], &h3[2 * H + j], &dh[k]);
      h3[j] = i3[j];
      h3[H + j] = i3[H + j];
    }
  }
}

@ @<Prototypes@>=
void gru_cell_backward(float *dgi, float *dgh, float *dh, const float *dh_new,
  const float *h, const GruCache *cache, int B, int H);

@*1 The gradient of the attention.
@^attention, gradient of@>
@^softmax, gradient of@>
Backwards through $c=\sum_iw_io_i$ first. Each encoder output $o_i$ receives
$\bar o_i\mathrel{+}=w_i\,\bar c$ (added: every decoder step looks at the same
$O$), and each weight receives the dot product $\bar w_i=\bar c\cdot o_i$.

Then through $w=\softmax(s)$. Each weight depends on every score:
$\partial w_i/\partial s_k=w_i([i=k]-w_k)$. So
$$\bar s_k=\sum_i\bar w_i\,w_i([i=k]-w_k)=w_k\Bigl(\bar w_k-\sum_iw_i\bar w_i\Bigr).$$
In words: a score's gradient is its weight times how much its $\bar w$ exceeds
the weighted average of all the $\bar w$'s. The function writes $\bar s$ and
adds to $\bar O$. This is exercise~8. It costs $2LH$ multiply-adds a row.

For the three-word example of the forward pass, with $\bar c=(1,-1)$: $\bar
w=(\bar c\cdot o_i)_i=(1,-1,0)$, their weighted average is
$0.0900-0.2447=-0.1547$, and $\bar s_k=w_k(\bar w_k+0.1547)$ gives $\bar
s=(0.1040,-0.2069,0.1029)$ (to four places, from the unrounded weights). It
adds up to zero: adding the same number to every score would change nothing.
Each $\bar o_i$ gets $w_i\bar c$, from $(0.0900,-0.0900)$ to
$(0.6652,-0.6652)$.
@^worked numbers@>
@<Layer functions@>=
void attention_backward(float *dscores, float *denc_out, const float *dctx,
  const float *w, const float *enc_out, int B, int L, int H)
{
  for (int b = 0; b < B; b++) {
    const float *wb = w + (size_t) b * L, *O = enc_out + (size_t) b * L * H;
    const float *dc = dctx + (size_t) b * H;
    float *ds = dscores + (size_t) b * L, *dO = denc_out + (size_t) b * L * H;
    @<Set |ds| to the gradient of the scores and add $w_i\bar c$ to the rows of |dO|@>@;
  }
}

@ One pass over the rows of $O$ forms the $\bar w_i$, their weighted average and $\bar O$; a second, short one turns the $\bar w_i$ into $\bar s$.
@<Set |ds| to the gradient of the scores and add $w_i\bar c$ to the rows of |dO|@>=
float avg = 0.0f;
for (int i = 0; i < L; i++) {
  ds[i] = dot(dc, O + (size_t) i * H, H);
  avg += wb[i] * ds[i];
  for (int j = 0; j < H; j++) dO[(size_t) i * H + j] += wb[i] * dc[j];
}
for (int i = 0; i < L; i++) ds[i] = wb[i] * (ds[i] - avg);

@ Exercise~8 (hard, 12 points). Write the section above for one row:
$\bar s$ into |ds| (written) and $w_i\bar c$ into the rows of |dO| (added).
The tests compare both with finite differences of the forward function.
@^exercises@>

@ @<Prototypes@>=
void attention_backward(float *dscores, float *denc_out, const float *dctx,
  const float *w, const float *enc_out, int B, int L, int H);

@*1 Backpropagation through the whole pair.
@^backpropagation through time@>
Now the layers' gradients are chained, in reverse order of the forward pass.
The gradients of the decoder's states are the crux. State $d_t$ is used
three times: by the output layer at step $t$, and by step $t+1$ twice (in the
attention scores, through $[e;d_t]$, and as the GRU's old state). So
$\bar d_t$ is the sum of the output layer's contribution and what step $t+1$
sends back, which is why the steps must be visited from the last to the
first ({\it backpropagation through time}). The decoder's first state is the
encoder's last, so what comes out of step 1 flows on into the encoder, as do
the gradients $\bar O$ that the attention sent to the encoder's outputs.
Figure~4 draws these dependences for a target of three words.

\medskip
\centerline{\kitpicture{420}{150}{%
\pdfliteral{q
0.92 g 42 62 m 42 68.6276 36.6276 74 30 74 c 23.3724 74 18 68.6276 18 62 c 18 55.3724 23.3724 50 30 50 c 36.6276 50 42 55.3724 42 62 c f
0.6 w 0 G 42 62 m 42 68.6276 36.6276 74 30 74 c 23.3724 74 18 68.6276 18 62 c 18 55.3724 23.3724 50 30 50 c 36.6276 50 42 55.3724 42 62 c S
1 g 162 62 m 162 68.6276 156.6276 74 150 74 c 143.3724 74 138 68.6276 138 62 c 138 55.3724 143.3724 50 150 50 c 156.6276 50 162 55.3724 162 62 c f
0.6 w 0 G 162 62 m 162 68.6276 156.6276 74 150 74 c 143.3724 74 138 68.6276 138 62 c 138 55.3724 143.3724 50 150 50 c 156.6276 50 162 55.3724 162 62 c S
1 g 282 62 m 282 68.6276 276.6276 74 270 74 c 263.3724 74 258 68.6276 258 62 c 258 55.3724 263.3724 50 270 50 c 276.6276 50 282 55.3724 282 62 c f
0.6 w 0 G 282 62 m 282 68.6276 276.6276 74 270 74 c 263.3724 74 258 68.6276 258 62 c 258 55.3724 263.3724 50 270 50 c 276.6276 50 282 55.3724 282 62 c S
1 g 402 62 m 402 68.6276 396.6276 74 390 74 c 383.3724 74 378 68.6276 378 62 c 378 55.3724 383.3724 50 390 50 c 396.6276 50 402 55.3724 402 62 c f
0.6 w 0 G 402 62 m 402 68.6276 396.6276 74 390 74 c 383.3724 74 378 68.6276 378 62 c 378 55.3724 383.3724 50 390 50 c 396.6276 50 402 55.3724 402 62 c S
0.92 g 68 48 44 28 re f 0.6 w 0 G 68 48 44 28 re S
0.5 w 0 G 38.4 70.4 m 64.00 70.92 l S
0 g 68.00 71.00 m 62.46 73.09 l 62.55 68.69 l f
0.5 w 0 G 38.4 53.6 m 64.00 53.08 l S
0 g 68.00 53.00 m 62.55 55.31 l 62.46 50.91 l f
0.6 w 0 G 112 62 m 134.00 62.00 l S
0 g 138.00 62.00 m 132.50 64.20 l 132.50 59.80 l f
0.6 w 0 G 90 14 m 90.00 44.00 l S
0 g 90.00 48.00 m 87.80 42.50 l 92.20 42.50 l f 1 g 134 112 32 18 re f
0.6 w 0 G 134 112 32 18 re S 0.6 w 0 G 150 74 m 150.00 108.00 l S
0 g 150.00 112.00 m 147.80 106.50 l 152.20 106.50 l f
0.92 g 188 48 44 28 re f 0.6 w 0 G 188 48 44 28 re S
0.5 w 0 G 158.4 70.4 m 184.00 70.92 l S
0 g 188.00 71.00 m 182.46 73.09 l 182.55 68.69 l f
0.5 w 0 G 158.4 53.6 m 184.00 53.08 l S
0 g 188.00 53.00 m 182.55 55.31 l 182.46 50.91 l f
0.6 w 0 G 232 62 m 254.00 62.00 l S
0 g 258.00 62.00 m 252.50 64.20 l 252.50 59.80 l f
0.6 w 0 G 210 14 m 210.00 44.00 l S
0 g 210.00 48.00 m 207.80 42.50 l 212.20 42.50 l f
1 g 254 112 32 18 re f 0.6 w 0 G 254 112 32 18 re S
0.6 w 0 G 270 74 m 270.00 108.00 l S
0 g 270.00 112.00 m 267.80 106.50 l 272.20 106.50 l f
0.92 g 308 48 44 28 re f 0.6 w 0 G 308 48 44 28 re S
0.5 w 0 G 278.4 70.4 m 304.00 70.92 l S
0 g 308.00 71.00 m 302.46 73.09 l 302.55 68.69 l f
0.5 w 0 G 278.4 53.6 m 304.00 53.08 l S
0 g 308.00 53.00 m 302.55 55.31 l 302.46 50.91 l f
0.6 w 0 G 352 62 m 374.00 62.00 l S
0 g 378.00 62.00 m 372.50 64.20 l 372.50 59.80 l f
0.6 w 0 G 330 14 m 330.00 44.00 l S
0 g 330.00 48.00 m 327.80 42.50 l 332.20 42.50 l f
1 g 374 112 32 18 re f 0.6 w 0 G 374 112 32 18 re S
0.6 w 0 G 390 74 m 390.00 108.00 l S
0 g 390.00 112.00 m 387.80 106.50 l 392.20 106.50 l f
0.6 w 0.4 G [2 2] 0 d 60 96 m 330.00 96.00 l S [] 0 d
0.6 w 0.4 G [2 2] 0 d 90 96 m 90.00 80.00 l S [] 0 d
0.4 g 90.00 76.00 m 92.20 81.50 l 87.80 81.50 l f
0.6 w 0.4 G [2 2] 0 d 210 96 m 210.00 80.00 l S [] 0 d
0.4 g 210.00 76.00 m 212.20 81.50 l 207.80 81.50 l f
0.6 w 0.4 G [2 2] 0 d 330 96 m 330.00 80.00 l S [] 0 d
0.4 g 330.00 76.00 m 332.20 81.50 l 327.80 81.50 l f
Q}%
\kitput{30}{59}{$d_0$}%
\kitput{150}{59}{$d_1$}%
\kitput{270}{59}{$d_2$}%
\kitput{390}{59}{$d_3$}%
\kitput{26}{28}{\kitsmall $d_0=h_T$}%
\kitput{90}{58}{\kitsmall step 1}%
\kitput{53}{77}{\kitsmall scores}%
\kitput{53}{38}{\kitsmall GRU}%
\kitput{90}{4}{\.{<SOS>}}%
\kitput{150}{117}{$\ell_1$}%
\kitput{210}{58}{\kitsmall step 2}%
\kitput{173}{77}{\kitsmall scores}%
\kitput{173}{38}{\kitsmall GRU}%
\kitput{210}{4}{\.{nous}}%
\kitput{270}{117}{$\ell_2$}%
\kitput{330}{58}{\kitsmall step 3}%
\kitput{293}{77}{\kitsmall scores}%
\kitput{293}{38}{\kitsmall GRU}%
\kitput{330}{4}{\.{sommes}}%
\kitput{390}{117}{$\ell_3$}%
\kitputl{48}{93}{$O$}%
}}
\kitcaption{.95\hsize}{Figure~4. What the backward pass follows. Each
decoder state $d_t$ is used three times: by the output layer, for the loss
term $\ell_t$, and twice by step $t+1$, in its scores and as its GRU's old
state; so $\bar d_t$ is the sum of three gradients, and the steps are visited
from the last to the first. Every step also reads the encoder's outputs $O$
(dashed), so $\bar O$ collects a gradient from every step. The input words
are the right ones (teacher forcing), so no step depends on another's
output word.}

The weight gradients are different: they need the gradient at each step but
nothing from other steps. So the backward loop only stores the per-step
gradients $\bar g_i$, $\bar g_h$, $\bar{\rm pre}$ and $\bar s$, and after the
loop each weight gradient is one batched call over all steps: one pass over
each weight matrix instead of one per step.

The scratch space holds those per-step gradients and a few vectors.
@<Gradient scratch@>=
float *d_logits; /* $L\times V_t$ */
float *d_hout; /* $L\times H$: the output layer's part of $\bar d_t$ */
float *d_dec_gi, *d_dec_gh; /* $L\times 3H$ */
float *d_pre; /* $L\times H$ */
float *d_scores; /* $L\times L$ */
float *d_dec_e; /* $L\times H$: gradients of the decoder's embeddings */
float *d_enc_out; /* $L\times H$: $\bar O$ */
float *d_enc_gi, *d_enc_gh; /* $L\times 3H$ */
float *d_enc_x; /* $L\times H$ */
float *d_h, *d_hprev, *d_o, *d_ec, *d_eh; /* one step's vectors */
float *d_enc_h, *d_enc_hprev; /* the encoder's own */
float *d_rows, *d_enc_rows; /* a block of rows of a weight gradient; the encoder's */

@ Like the activations, the scratch is allocated once, at the size of the longest sentence.
@<Allocate the gradient scratch@>=
a->d_logits = calloc_lines(L * V, sizeof(float));
a->d_hout = calloc_lines(L * H, sizeof(float));
a->d_dec_gi = calloc_lines(L * 3 * H, sizeof(float));
a->d_dec_gh = calloc_lines(L * 3 * H, sizeof(float));
a->d_pre = calloc_lines(L * H, sizeof(float));
a->d_scores = calloc_lines(L * L, sizeof(float));
a->d_dec_e = calloc_lines(L * H, sizeof(float));
a->d_enc_out = calloc_lines(L * H, sizeof(float));
a->d_enc_gi = calloc_lines(L * 3 * H, sizeof(float));
a->d_enc_gh = calloc_lines(L * 3 * H, sizeof(float));
a->d_enc_x = calloc_lines(L * H, sizeof(float));
a->d_h = calloc_lines(H, sizeof(float));
a->d_hprev = calloc_lines(H, sizeof(float));
a->d_o = calloc_lines(H, sizeof(float));
a->d_ec = calloc_lines(2 * H, sizeof(float));
a->d_eh = calloc_lines(2 * H, sizeof(float));
a->d_enc_h = calloc_lines(H, sizeof(float));
a->d_enc_hprev = calloc_lines(H, sizeof(float));
a->d_rows = calloc_lines(ROW_BLOCK > 2 * H ? ROW_BLOCK : 2 * H, sizeof(float));
a->d_enc_rows = calloc_lines(ROW_BLOCK > 2 * H ? ROW_BLOCK : 2 * H, sizeof(float));

@ The scratch fields, for |activations_free|, in the order of their declaration.
@<The gradient scratch, as a list@>=
a->d_logits, a->d_hout, a->d_dec_gi, a->d_dec_gh, a->d_pre, a->d_scores,
a->d_dec_e, a->d_enc_out, a->d_enc_gi, a->d_enc_gh, a->d_enc_x, a->d_h,
a->d_hprev, a->d_o, a->d_ec, a->d_eh, a->d_enc_h, a->d_enc_hprev, a->d_rows,
a->d_enc_rows

@ Seven of the sixteen tensors are weight matrices of linear layers, and they
hold 97 per cent of the parameters. Their gradients are the last thing the
backward pass computes, each one batched call after everything else, and
nothing else needs them: so the backward pass can stop short of them and
just say what they are. A |Deferred| names a weight matrix and the two
matrices whose product is its gradient,
$\bar W=\sum_b\bar y_b\,x_b^{\top}$: the gradients $\bar y_b$ of the
layer's outputs and the layers's inputs $x_b$, for $B$ rows. Then either
the gradients are added to the buffer (|seq2seq_backward|, below), or the
optimizer computes them one row at a time and updates the row at once
(|train_step|, in the chapter on Adam).
@<Types@>=
typedef struct {
  int weight; /* which tensor: |OUT_W|, |DEC_W_HH|, \dots */
  const float *dout, *inp; /* $B\times m$ and $B\times C$ */
  int B, C, OC;
} Deferred;
#define N_DEFERRED 7
#define N_DEC_DEFERRED 5 /* the first five are the decoder's */
#define N_ENC_DEFERRED (N_DEFERRED - N_DEC_DEFERRED) /* the last two the encoder's */

@ The backward pass of one pair, after |seq2seq_forward| of the same pair,
stopping short of the seven weight gradients. It adds the gradient of
$\loss$ with respect to every other tensor to the gradient buffer and
fills |d| with the seven deferred ones: five of the decoder, then two of the
encoder. Like the forward pass it comes in two halves, the decoder's and,
after it, the encoder's. All the decoder hands over to the encoder is
$\bar O$ (|d_enc_out|) and the gradient of the encoder's last state
(|d_enc_hprev|); each half has its own scratch vectors, so that the two can
run on different cores.
@<Model functions@>=
void seq2seq_backward_deferred(Model *m, const Example *ex, Deferred d[N_DEFERRED])
{
  decoder_backward(m, ex, d);
  encoder_backward(m, ex, d + N_DEC_DEFERRED);
}

void decoder_backward(Model *m, const Example *ex, Deferred d[N_DEC_DEFERRED])
{
  Activations *a = &m->act;
  const Config *c = &m->cfg;
  const Tensors *P = &m->params;
  const Tensors *G = &m->grads;
  int H = c->H, L = c->L, V = c->V_out, T = a->T_tgt;
  size_t h = (size_t) H;
  @<Backward through the output layer for all steps at once@>@;
  @<Backward through the decoder steps, last to first@>@;
  @<Batched weight gradients of the decoder@>@;
  memcpy(a->d_enc_hprev, a->d_hprev, h * sizeof(float));
}

@ The encoder's half starts from what the decoder's half left it: $\bar O$
in |d_enc_out| and the gradient of $h_T$ in |d_enc_hprev|.
@<Model functions@>=
void encoder_backward(Model *m, const Example *ex, Deferred d[N_ENC_DEFERRED])
{
  Activations *a = &m->act;
  const Tensors *P = &m->params;
  const Tensors *G = &m->grads;
  int H = m->cfg.H, S = ex->src_len;
  size_t h = (size_t) H;
  @<Backward through the encoder, last word to first@>@;
}

@ The whole gradient, deferred parts included, is what the tests check against
finite differences.
@<Model functions@>=
void seq2seq_backward(Model *m, const Example *ex)
{
  Deferred d[N_DEFERRED];
  seq2seq_backward_deferred(m, ex, d);
  for (int k = 0; k < N_DEFERRED; k++)
    linear_backward(NULL, m->grads.t[d[k].weight], NULL, d[k].dout, d[k].inp, NULL,
      d[k].B, d[k].C, d[k].OC);
}

@ @<Prototypes@>=
void seq2seq_backward_deferred(Model *m, const Example *ex, Deferred d[N_DEFERRED]);
void decoder_backward(Model *m, const Example *ex, Deferred d[N_DEC_DEFERRED]);
void encoder_backward(Model *m, const Example *ex, Deferred d[N_ENC_DEFERRED]);
void seq2seq_backward(Model *m, const Example *ex);

@ The output layer read the states $d_1,\dots,d_{T'}$, rows 1 to $T'$ of
|dec_h|.
@<Backward through the output layer for all steps at once@>=
nll_backward(a->d_logits, a->logp, ex->tgt, T, V);
memset(a->d_hout, 0, (size_t) T * h * sizeof(float));
linear_backward(a->d_hout, NULL, G->out_b, a->d_logits, NULL, P->out_w, T, H, V);
d[0] = (Deferred) {OUT_W, a->d_logits, a->dec_h + h, T, H, V};
memset(a->d_enc_out, 0, (size_t) L * h * sizeof(float));
memset(a->d_hprev, 0, h * sizeof(float));

@ At the top of step $t$, |d_hprev| holds what step $t+1$ sent back to
$d_t$; adding the output layer's part gives $\bar d_t$ in full. The step
then runs its forward equations backwards: GRU, its input products, ReLU and
the combine layer (which splits into $\bar e$ and $\bar c$), the attention,
the score layer (which splits into $\bar e$ and $\bar d_{t-1}$). What it
sends back to $d_{t-1}$ comes from the GRU twice (directly and through $W_h$)
and from the scores.
@<Backward through the decoder steps, last to first@>=
for (int t = T - 1; t >= 0; t--) {
  DecoderStep s = decoder_step(a, c, t);
  const float *h_prev = a->dec_h + (size_t) t * h;
  float *dgi = a->d_dec_gi + (size_t) t * 3 * h, *dgh = a->d_dec_gh + (size_t) t * 3 * h;
  for (int j = 0; j < H; j++) a->d_h[j] = a->d_hout[(size_t) t * h + j] + a->d_hprev[j];
  memset(a->d_hprev, 0, h * sizeof(float));
  gru_cell_backward(dgi, dgh, a->d_hprev, a->d_h, h_prev, s.cache, 1, H);
  linear_backward(a->d_hprev, NULL, NULL, dgh, NULL, P->dec_w_hh, 1, H, 3 * H);
  memset(a->d_o, 0, h * sizeof(float));
  linear_backward(a->d_o, NULL, NULL, dgi, NULL, P->dec_w_ih, 1, H, 3 * H);
  relu_backward(a->d_pre + (size_t) t * h, a->d_o, s.pre, H);
  memset(a->d_ec, 0, 2 * h * sizeof(float));
  linear_backward(a->d_ec, NULL, NULL, a->d_pre + (size_t) t * h, NULL, P->comb_w, 1, 2 * H, H);
  attention_backward(a->d_scores + (size_t) t * L, a->d_enc_out, a->d_ec + H, s.w,
    a->enc_out, 1, L, H);
  memset(a->d_eh, 0, 2 * h * sizeof(float));
  linear_backward(a->d_eh, NULL, NULL, a->d_scores + (size_t) t * L, NULL, P->attn_w, 1, 2 * H, L);
  for (int j = 0; j < H; j++) {
    a->d_dec_e[(size_t) t * h + j] = a->d_ec[j] + a->d_eh[j];
    a->d_hprev[j] += a->d_eh[H + j];
  }
}

@ Each weight gradient is the gradient of its layer's outputs at all steps
against its inputs at all steps, one batched product with the steps as the
batch; they are deferred. The biases' gradients, sums over the steps, are
added to the buffer now, and so are the embeddings'.
@<Batched weight gradients of the decoder@>=
d[1] = (Deferred) {DEC_W_HH, a->d_dec_gh, a->dec_h, T, H, 3 * H};
d[2] = (Deferred) {DEC_W_IH, a->d_dec_gi, a->dec_o, T, H, 3 * H};
d[3] = (Deferred) {COMB_W, a->d_pre, a->dec_ec, T, 2 * H, H};
d[4] = (Deferred) {ATTN_W, a->d_scores, a->dec_eh, T, 2 * H, L};
linear_backward(NULL, NULL, G->dec_b_hh, a->d_dec_gh, NULL, NULL, T, H, 3 * H);
linear_backward(NULL, NULL, G->dec_b_ih, a->d_dec_gi, NULL, NULL, T, H, 3 * H);
linear_backward(NULL, NULL, G->comb_b, a->d_pre, NULL, NULL, T, 2 * H, H);
linear_backward(NULL, NULL, G->attn_b, a->d_scores, NULL, NULL, T, 2 * H, L);
embedding_backward(G->dec_emb, a->d_dec_e, a->dec_in, T, H);

@ The encoder's state $h_t$ received gradient from two places: the attention
(row $t$ of $\bar O$; rows beyond $T$ were constant zeros and their gradient
goes nowhere) and the next encoder step, or, for the last state, the decoder's
first step, whose gradient the decoder's half left in |d_enc_hprev|. The
first state $h_0=0$ is a constant: nothing is sent back to it, and it adds
nothing to $\bar W_h$
(whose batched product therefore starts at the second step), though the
bias $b_h$ still gets the first step's gradient.
@<Backward through the encoder, last word to first@>=
for (int t = S - 1; t >= 0; t--) {
  const float *h_prev = a->enc_h + (size_t) t * h;
  float *dgi = a->d_enc_gi + (size_t) t * 3 * h, *dgh = a->d_enc_gh + (size_t) t * 3 * h;
  for (int j = 0; j < H; j++) a->d_enc_h[j] = a->d_enc_out[(size_t) t * h + j] + a->d_enc_hprev[j];
  memset(a->d_enc_hprev, 0, h * sizeof(float));
  gru_cell_backward(dgi, dgh, a->d_enc_hprev, a->d_enc_h, h_prev, a->enc_cache + (size_t) t * h,
    1, H);
  if (t > 0) linear_backward(a->d_enc_hprev, NULL, NULL, dgh, NULL, P->enc_w_hh, 1, H, 3 * H);
}
memset(a->d_enc_x, 0, (size_t) S * h * sizeof(float));
linear_backward(a->d_enc_x, NULL, G->enc_b_ih, a->d_enc_gi, NULL, P->enc_w_ih, S, H, 3 * H);
linear_backward(NULL, NULL, G->enc_b_hh, a->d_enc_gh, NULL, NULL, S, H, 3 * H);
d[0] = (Deferred) {ENC_W_IH, a->d_enc_gi, a->enc_x, S, H, 3 * H};
d[1] = (Deferred) {ENC_W_HH, a->d_enc_gh + 3 * h, a->enc_h + h, S - 1, H, 3 * H};
embedding_backward(G->enc_emb, a->d_enc_x, ex->src, S, H);

@* Adam.
@^Adam@>
Plain gradient descent moves each parameter by the learning rate times its
gradient. Adam~\cite{kingma} adapts the step to each parameter. It keeps two running
averages, of the gradient $g$ and of its square,
$$m\leftarrow\beta_1m+(1-\beta_1)g,\qquad v\leftarrow\beta_2v+(1-\beta_2)g^2,$$
corrects them for starting at zero (after $t$ steps, the weights of an
average add up to only $1-\beta^t$), and moves the parameter by
$$\hat m={m\over1-\beta_1^t},\qquad\hat v={v\over1-\beta_2^t},\qquad
\theta\leftarrow\theta-\alpha\,{\hat m\over\sqrt{\hat v}+\epsilon}.$$
Where a parameter's gradient keeps its sign from step to step, $\hat m$ is
about $g$ and $\sqrt{\hat v}$ about $|g|$, so $\hat m/\sqrt{\hat v}\approx\pm1$:
the parameter moves by about the learning rate $\alpha$, whatever the scale of
its gradient. Where the sign keeps changing, $\hat m$ averages towards zero
and the steps shrink. At the first step the corrections are exact:
@^bias correction@>
$m=(1-\beta_1)g$ and $v=(1-\beta_2)g^2$, so $\hat m=g$, $\hat v=g^2$, and the
step is $\alpha g/(|g|+\epsilon)$, that is $\alpha\,{\rm sign}(g)$ unless $|g|$
is as small as $\epsilon$. With $\alpha=0.01$, the gradients $0.5$ and
$-0.002$ give the steps $0.0100$ and $-0.0100$ alike, and a gradient of
$10^{-8}$ gives $0.0050$. The notebook uses
$\alpha=0.01$, $\beta_1=0.9$, $\beta_2=0.999$, $\epsilon=10^{-8}$, with two
optimizers, one for the encoder and one for the decoder; they take the same
steps with the same settings, so one Adam over the whole buffer is the same
thing.

The code groups the arithmetic as \PB{PyTorch} does ($\alpha/(1-\beta_1^t)$
times $m$, divided by $\sqrt v/\sqrt{1-\beta_2^t}+\epsilon$). The settings
come in double precision, and the constants derived from them ($1-\beta_2$, the
bias corrections) are computed in double before they are rounded to float,
as \PB{PyTorch} computes them in Python: in float, 0.999 is
$0.99900001287$, and $1-0.999$ would come out $0.00099998713$, too small by
$1.29\times10^{-8}$, a relative error of $1.3\times10^{-5}$. Dividing by $\sqrt{1-\beta_2^t}$ is
replaced by multiplying with its reciprocal; a division per parameter is
among the slowest instructions a processor has. The constants of step $t$
are computed once per step, by |adam_constants|, and |adam_apply| updates any
number of parameters with them. Both are exercise~9.
@<Types@>=
typedef struct {
  float b1, a1, b2, a2; /* $\beta_1$, $1-\beta_1$, $\beta_2$, $1-\beta_2$ */
  float step; /* $\alpha/(1-\beta_1^t)$ */
  float inv_bc2; /* $1/\sqrt{1-\beta_2^t}$ */
  float eps;
} AdamConstants;

@ The constants of a step are computed once and then serve every parameter, so the loop over the parameters does only float arithmetic.
@<Model functions@>=
AdamConstants adam_constants(double lr, double beta1, double beta2, double eps, long t)
{
  AdamConstants k;
  @<Set the constants |k| of Adam's step |t|@>@;
  return k;
}

void adam_apply(float *p, const float *g, float *m, float *v, size_t n,
  const AdamConstants *k)
{
  @<Take one Adam step on the |n| parameters@>@;
}

@ The constants of step $t$, computed in double precision and rounded to float once.
@<Set the constants |k| of Adam's step |t|@>=
k.b1 = (float) beta1;
k.a1 = (float) (1.0 - beta1);
k.b2 = (float) beta2;
k.a2 = (float) (1.0 - beta2);
k.step = (float) (lr / (1.0 - pow(beta1, (double) t)));
k.inv_bc2 = (float) (1.0 / sqrt(1.0 - pow(beta2, (double) t)));
k.eps = (float) eps;

@ The loop reads four floats per parameter and writes three. The constants
are copied into |c| first: the compiler cannot know that the stores to |p|,
|m| and |v| do not change |*k|, and would read it again after each of them.
The new moments are kept in |mi| and |vi| for the same reason.
@<Take one Adam step on the |n| parameters@>=
const AdamConstants c = *k;
for (size_t i = 0; i < n; i++) {
  float gi = g[i];
  float mi = c.b1 * m[i] + c.a1 * gi;
  float vi = c.b2 * v[i] + c.a2 * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] -= c.step * mi / (sqrtf(vi) * c.inv_bc2 + c.eps);
}

@ Exercise~9 (medium, 6 points). Write the two sections above: the
constants of step $t$, computed in double precision and then rounded, and the
update of |p|, |m| and |v| with them. A constant computed in float, like
$1-\beta_2$, is off by more than the tests allow.
@^exercises@>

@ For a single call, both together.
@<Model functions@>=
void adam_update(float *p, const float *g, float *m, float *v, size_t n,
  double lr, double beta1, double beta2, double eps, long t)
{
  AdamConstants k = adam_constants(lr, beta1, beta2, eps, t);
  adam_apply(p, g, m, v, n, &k);
}

@ The plain optimizer step updates every parameter from the gradient buffer,
one tensor at a time, and zeroes each tensor's gradients right after its
update, while they are still in the cache, ready for the next backward pass
(which adds to them).
@<Model functions@>=
void optimizer_step(Model *m, double lr)
{
  TensorSpec s[N_TENSORS];
  tensor_specs(&m->cfg, s);
  AdamConstants c = adam_constants(lr, 0.9, 0.999, 1e-8, ++m->adam_t);
  for (int k = 0; k < N_TENSORS; k++) adam_tensor(m, k, spec_numel(&s[k]), &c);
}

@ A tensor's parameters, gradients and moments are at the same offset in the four buffers, so one offset finds all four.
@<Model helpers@>=
static void adam_tensor(Model *m, int k, size_t n, const AdamConstants *c)
{
  size_t at = (size_t) (m->params.t[k] - m->param_mem);
  adam_apply(m->param_mem + at, m->grad_mem + at, m->m_mem + at, m->v_mem + at, n, c);
  memset(m->grad_mem + at, 0, n * sizeof(float));
}

@ {\it Counting the work.} For the notebook's sizes ($H=128$, $L=10$,
$V_s=V_t=16$) and a pair of four words each way ($T=T'=4$), the forward pass
does these multiply-adds:
\medskip
\halign{\indent#\hfil\quad&\hfil$#$\quad&\hfil#\cr
encoder input products, all words at once&3TH^2&196,608\cr
encoder recurrent products ($h_0=0$ needs none)&3(T-1)H^2&147,456\cr
decoder steps: scores, context, combine, GRU&T'(3LH+8H^2)&539,648\cr
output layer, all steps at once&T'HV_t&8,192\cr
\noalign{\smallskip}
forward pass&&891,904\cr}
\medskip
\noindent The backward pass does about twice as many (each product has a
gradient for its input and one for its weights), so a step is about 2.7
million multiply-adds: 5.4 billion for the notebook's 2000 steps. On the
machine this was written on, one core does these products at about 35
billion multiply-adds a second; what sets the pace is reading each weight
once per use from the second-level cache, not the multiplying. That is
about 75 microseconds a step. Adam takes about 60 more: half of it is the
square root and the division of every parameter, which the vector unit does
far more slowly than multiply-adds, and the other half is moving the two
moments, which do not fit in the second-level cache, to and from the third.
One core thus needs about 130 to 150 microseconds a step, 0.27 to 0.3
seconds for the training; with the encoder on a second core (see ``Two
cores'' below) the two updates overlap, and a step takes about 105
microseconds, 0.21 seconds for the training. The notebook spends about forty
times as long (between 34 and 48 times in the runs measured) on the same
arithmetic, most of it in Python and in \PB{PyTorch}'s dispatch of small
operations.
@^counting the work@>
@^multiply-adds@>

@ Memory is much of what Adam costs here. Each step reads four floats per
parameter and writes three, about 6.7 megabytes for the notebook's model,
and a gradient buffer costs more on top: the backward pass reads and writes
each weight gradient once more when it adds to it, and zeroing it is another
pass. On the machine this was written on, those passes took longer than all
the matrix products of the step.

So the training step fuses the last part of the backward pass with the
update. For each deferred weight matrix, the gradient of one row is computed
into a small scratch buffer, which stays in the fastest cache, and those rows
of the parameters are updated at once with |adam_apply|. The gradient of the
seven big matrices never goes to memory at all. The result is the same, bit
for bit, as the plain step: the same sums in the same order, then the same
update (a test checks it). The other nine tensors, the embeddings and the
biases, take the plain path.
@^fusion@>
@^memory traffic@>
@<Model functions@>=
float train_step(Model *m, const Example *ex, double lr)
{
  float loss = seq2seq_forward(m, ex);
  Deferred d[N_DEFERRED];
  seq2seq_backward_deferred(m, ex, d);
  AdamConstants c = adam_constants(lr, 0.9, 0.999, 1e-8, ++m->adam_t);
  update_half(m, d, N_DEC_DEFERRED, DEC_EMB, N_TENSORS - 1, &c, m->act.d_rows);
  update_half(m, d + N_DEC_DEFERRED, N_ENC_DEFERRED, ENC_EMB, ENC_B_HH, &c,
    m->act.d_enc_rows);
  return loss;
}

@ The rows of a weight matrix lie one after the other in memory, so a block
of consecutive rows is one stretch of the buffer. The gradients of a block of
rows, about 16 kilobytes (|ROW_BLOCK| floats), are written into a scratch
block |g| (|d_rows|, or |d_enc_rows| on the encoder's thread) and the block
is updated with one call of |adam_apply|. Each row's gradient starts from
zero and collects the batch's products in the same order as
|linear_backward| collects them into the zeroed buffer, so the two give the
same floats.
@<Model helpers@>=
static void update_rows(Model *m, const Deferred *d, const AdamConstants *c, float *g)
{
  size_t at = (size_t) (m->params.t[d->weight] - m->param_mem);
  int rows = ROW_BLOCK / d->C > 0 ? ROW_BLOCK / d->C : 1;
  for (int o = 0; o < d->OC; o += rows) {
    int r = d->OC - o < rows ? d->OC - o : rows;
    size_t n = (size_t) r * (size_t) d->C;
    outer_products(g, d->dout + o, d->OC, d->inp, d->B, d->C, r, 0);
    adam_apply(m->param_mem + at, g, m->m_mem + at, m->v_mem + at, n, c);
    at += n;
  }
}

@ The step updates the decoder's tensors and then the encoder's, each half
with its own scratch rows: the tensors |first| to |last|, of which the |nd|
in |d| are deferred weight matrices and the others take the plain path.
Tensors do not share parameters, so the order of the two halves changes
nothing.
@<Model helpers@>=
static void update_half(Model *m, const Deferred *d, int nd, int first, int last,
  const AdamConstants *c, float *rows)
{
  int deferred[N_TENSORS] = {0};
  for (int k = 0; k < nd; k++) {
    update_rows(m, &d[k], c, rows);
    deferred[d[k].weight] = 1;
  }
  TensorSpec s[N_TENSORS];
  tensor_specs(&m->cfg, s);
  for (int k = first; k <= last; k++)
    if (!deferred[k]) adam_tensor(m, k, spec_numel(&s[k]), c);
}

@* Inference: greedy decoding.
@^greedy decoding@>
@^inference@>
To translate, the decoder feeds itself: it starts from \SOS, and at each step
takes the most probable word as its output and as its next input. It stops
when that word is \EOS\ or after $L$ words. This is {\it greedy\/} decoding:
it never reconsiders a choice. (Beam search, which keeps several candidates
and is what translation systems use~\cite{wu}, is the next chapter's.)
@^beam search@> |greedy_decode| writes the word numbers into |out| and
returns how many there are; when |attn| is not |NULL| it also keeps the
attention weights of each output word, one row of $L$ per word, for the
heatmaps. Ties go to the lowest word number, as \PB{PyTorch}'s \.{argmax}
does. The loop is exercise~10.
@<Model functions@>=
int argmax(const float *x, int n)
{
  int best = 0;
  for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
  return best;
}

int greedy_decode(Model *m, const int *src, int T, int *out, float *attn)
{
  Activations *a = &m->act;
  const Config *c = &m->cfg;
  int H = c->H, L = c->L, V = c->V_out, n = 0;
  encoder_forward(m, src, T);
  memcpy(a->dec_h, a->enc_h + (size_t) T * H, (size_t) H * sizeof(float));
  @<Decode greedily into |out| until \EOS\ or $L$ words@>@;
  return n;
}

@ Greedy decoding feeds each step's most probable word back as the next input; the attention weights of each step are copied out before the next step overwrites them.
@<Decode greedily into |out| until \EOS\ or $L$ words@>=
int token = SOS_TOKEN;
for (int t = 0; t < L; t++) {
  DecoderStep s = decoder_step(a, c, t);
  decoder_step_forward(m, token, a->dec_h + (size_t) t * H, a->enc_out, &s);
  if (attn) memcpy(attn + (size_t) t * L, s.w, (size_t) L * sizeof(float));
  linear_forward(a->logits, s.h, m->params.out_w, m->params.out_b, 1, H, V);
  log_softmax_forward(a->logp, a->logits, 1, V);
  token = argmax(a->logp, V);
  if (token == EOS_TOKEN) break;
  out[n++] = token;
}

@ Exercise~10 (medium, 6 points). Write the section above: from \SOS,
run the decoder one step at a time on its own previous word, keep each step's
attention weights when |attn| is not |NULL|, take the most probable word, and
stop at \EOS\ (which is not an output word) or after $L$ words.
@^exercises@>

@ @<Prototypes@>=
int argmax(const float *x, int n);
int greedy_decode(Model *m, const int *src, int T, int *out, float *attn);

@* The notebook's bugs and their fixes.
@^notebook bugs@>
The notebook trains, prints a falling loss and shows translations. Four
things are wrong with it all the same, and each teaches something. The kit
can reproduce each one, so this chapter shows them with the kit's own output,
printed by the program when this book was made.

@ {\it The model never learns to stop.} The notebook's targets are the French
words alone, without \EOS. At every step of training the right answer is a
word, never \EOS, so the model learns that \EOS\ is never right, and at
translation time greedy decoding runs until its limit of $L$ words. The loss
does not show it: it measures only the steps that training shows the model,
and on those the model is nearly perfect. With \.{--no-eos} the kit trains as
the notebook does; after 400 epochs its final loss is about $3\times10^{-5}$,
and it translates the five sentences like this:
@^end of sentence@>
\listing{out-noeos.txt}
The notebook's own run prints the same kind of output. The fix is one line of
|make_examples|: every target ends with \EOS. Trained that way, the same model
stops where it should, and all five translations come out exactly right
(\.{make run} prints them).

@ {\it The attention does not look at the sentence.} The notebook's scores are
$s=W_a[e;d_{t-1}]+b_a$: they depend on the decoder's input word and state,
never on the encoder's outputs $o_i$. Slot $i$ is chosen for its position, not
for what is there. And the softmax runs over all $L=10$ slots, so weight can
go to the slots beyond the end of the sentence, where $o_i=0$ and there is
nothing to see. Here is where the trained model of \.{make run} looks, for
each word it writes: its weight on each English word, and the total on the
padding slots (\.{attention translate --attention}):
@^padding@>
\listing{out-attention.txt}
The first word of every translation puts all its weight on the padding: its
context vector is zero, and the word comes from the decoder's state alone.
The other words look at whichever position helped during training
(\.{etudiant} looks at \.{i}), not at the word they translate. With five
pairs the model can translate perfectly without looking at the right word at
all: the encoder's final state alone tells the five sentences apart. The
heatmaps show the same thing. The cure is attention whose scores compare the
decoder's state with each encoder output (Bahdanau's additive scores, Luong's
products: see the chapter on the decoder), with a softmax over the
sentence's own words. The next chapter builds those kinds; \.{--attention
seed} keeps the notebook's.

@ {\it An unknown word crashes it.} The notebook looks words up in a
Python dictionary, and a word it has never seen raises \.{KeyError} and ends
the program. The kit says which word, and where, and goes on with the next
sentence; the exit status (1) tells a script that something failed:
@^unknown word@>
\listing{out-unknown.txt}
(The second sentence is not one of the five either, and its translation is
wrong: the model has memorised five sentences, not learned that \.{we} is
\.{nous}. Five pairs teach the mechanics, not French.)

@ {\it It is slow.} The notebook runs one word at a time through \PB{PyTorch}, and
each small operation pays Python's and \PB{PyTorch}'s overhead, which is far
larger than the arithmetic: a step of training does about 2.7 million
multiply-adds, about 75 microseconds of work for one core (the chapter on
Adam counts them), and takes milliseconds (about 4.5 in \.{make bench}).
The kit does the same arithmetic in C, with the data laid out for the cache;
\.{make bench} measures both on the same machine, from the same initial
weights, to the same final loss.

@** Part II: attention that looks at the words.
The second part gives the decoder attention that scores every source word by
its content (Bahdanau's, Luong's and multi-head attention), and trains it
on the real corpus in minibatches, with masks so that no padding leaks into
the result.

@* Scores that look at the words.
@^attention, content-based@>
@^Bahdanau attention@>
@^Luong attention@>
@^multi-head attention@>
The notebook's decoder scores its ten attention slots from the current word
and its own state alone: the scores never look at the English sentence, so
they cannot say ``this French word goes with that English word''. The models
that made attention famous score every source word by its {\it content}. At a
decoder step with query $q$ (a state of the decoder) and the encoder's outputs
$k_1,\dots,k_S$ (one per source word, the {\it keys}), each kind computes a
score $e_i$ per source word, then the same two steps as before: weights
$w=\softmax(e)$ over the sentence's own words, and the context
$c=\sum_iw_ik_i$.

\medskip
\halign{\indent#\hfil\quad&$#$\hfil\quad&#\hfil\cr
{\it kind}&\hbox{\it score } e_i&{\it query}\cr
\noalign{\smallskip}
\.{bahdanau}&v_a\cdot\tanh(W_aq+U_ak_i)&$d_{t-1}$, before the GRU step\cr
\.{luong-dot}&d_t\cdot k_i&$d_t$, after the GRU step\cr
\.{luong-general}&(W_ad_t)\cdot k_i&$d_t$, after the GRU step\cr
\.{multihead}&(W_Qd_t)_h\cdot(W_Kk_i)_h/\sqrt{d_k}\ \hbox{per head }h&$d_t$, after the GRU step\cr}
\medskip

\noindent Bahdanau et al.~\cite{bahdanau} score with the decoder's {\it previous\/}
state and feed the context into the GRU: $d_t={\rm GRU}([F_{y_{t-1}};c_t],d_{t-1})$,
where $F_{y_{t-1}}$ is the embedding of the previous word; the output layer reads
$d_t$. Luong et al.~\cite{luong} take the GRU step first and score with the
{\it new\/} state $d_t$; the context and the state then make an
{\it attentional state\/} $\tilde h_t=\tanh(W_c[c_t;d_t])$, which the output
layer reads. Since the context of step $t$ arrives after the GRU step, the GRU
would never see what was attended to; Luong's {\it input feeding\/} gives it
the previous attentional state instead: $d_t={\rm GRU}([F_{y_{t-1}};\tilde h_{t-1}],
d_{t-1})$ with $\tilde h_0=0$. Multi-head attention~\cite{vaswani}
projects the query, keys and values with learned matrices, splits them into
$N$ heads of $d_k=H/N$ numbers, scores each head by a scaled dot product, and
projects the joined contexts once more; it is the step from here to the
Transformer, which drops the GRU and keeps only attention.
@^input feeding@>

@ Part II trains all of these on the real corpus, and for that the model
works on {\it minibatches}: $B$ sentence pairs at once, so that every product
is a matrix--matrix product that a BLAS runs near the machine's peak. Sentences
differ in length; a batch is padded to its longest sentence with a word
\.{<PAD>}, and nothing of the padding may leak into the result:

\item{1.} each sentence's final encoder state is the state after its own
last word, not after the pads;
\item{2.} padded source positions get attention weight exactly 0 (a
{\it masked\/} softmax);
\item{3.} the loss is the mean over the batch's real target words, and the
decoder runs only as many steps as the batch's longest target.

\noindent The tests prove it: a batch of sentences of different lengths gives
the same loss and gradients, to rounding, as the same sentences one at a time.
@^masking@>
@^minibatch@>

@ The five kinds, with the names the command line and the checkpoints use.
@<Constants@>=
enum { KIND_SEED, KIND_BAHDANAU, KIND_LUONG_DOT, KIND_LUONG_GENERAL,
  KIND_MULTIHEAD, N_KINDS };
#define PAD_TOKEN 2
#define UNK_TOKEN 3

@ @<Prototypes@>=
extern const char *const kind_names[N_KINDS];
int kind_from_name(const char *s);

@ Part II's batched model has a file of its own; it reaches the arithmetic only through the backend interface below.
@(generated/batch.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
@<Batched model helpers@>@;
@<Batched model functions@>@;

@ The kinds have names, for the command line and for checkpoints; |kind_from_name| returns $-1$ for a name it does not know.
@<Batched model functions@>=
const char *const kind_names[N_KINDS] = {"seed", "bahdanau", "luong-dot",
  "luong-general", "multihead"};

int kind_from_name(const char *s)
{
  for (int k = 0; k < N_KINDS; k++) if (strcmp(s, kind_names[k]) == 0) return k;
  return -1;
}

@* The vocabulary of Part II.
@^vocabulary@>
@^unknown word@>
Two more special words join \SOS\ and \EOS: \.{<PAD>}, number 2, the filler
of a batch, and \.{<UNK>}, number 3, which stands for any word the model does
not know. With them a real corpus becomes manageable: a word seen fewer than
\.{--min-count} times in the training pairs is not given a row of its own, and
a word that a user types but training never saw is translated as \.{<UNK>}
(with a warning), not refused. Words follow in order of first appearance, as
in Part I, so the PyTorch reference numbers them alike.
@<Pair functions@>=
static void tally_words(Vocab *v, int **count, const char *s)
{
  char w[MAX_WORD_BYTES];
  while (*s) {
    size_t k = strcspn(s, " ");
    if (k > 0 && k < sizeof w) {
      memcpy(w, s, k);
      w[k] = '\0';
      int id = vocab_find(v, w);
      if (id < 0) {
        id = vocab_add(v, w);
        *count = xrealloc(*count, (size_t) v->n * sizeof(int));
        (*count)[id] = 0;
      }
      (*count)[id]++;
    }
    s += k + (s[k] == ' ');
  }
}

@ The counts come from a vocabulary of all words; the real one then takes the
words that occur often enough, in the same order.
@<Pair functions@>=
static void vocab_with_count(Vocab *out, const PairList *pl, int side, int min_count)
{
  Vocab all;
  int *count = NULL;
  vocab_init(&all);
  vocab_init(out);
  vocab_add(out, "<PAD>");
  vocab_add(out, "<UNK>");
  for (int k = 0; k < pl->n; k++)
    tally_words(&all, &count, side ? pl->pair[k].tgt : pl->pair[k].src);
  for (int id = 2; id < all.n; id++)
    if (count[id] >= min_count && vocab_find(out, all.word[id]) < 0)
      vocab_add(out, all.word[id]);
  free(count);
  vocab_free(&all);
}

void pairs_vocabularies_unk(const PairList *pl, int min_count, Vocab *vin, Vocab *vout)
{
  vocab_with_count(vin, pl, 0, min_count);
  vocab_with_count(vout, pl, 1, min_count);
}

@ An example of Part II ends both sentences with \EOS: the encoder reads
where the English sentence ends, and the decoder learns where the French one
does. Unknown words become \.{<UNK>}; |unknown| counts them. A sentence with
more than $L-1$ words does not fit.
@<Pair functions@>=
int tokenize_unk(const Vocab *v, const char *s, int *ids, int max, int *unknown)
{
  char w[MAX_WORD_BYTES];
  int n = 0;
  while (*s) {
    size_t k = strcspn(s, " ");
    if (k >= sizeof w) return -1;
    memcpy(w, s, k);
    w[k] = '\0';
    s += k + (s[k] == ' ');
    if (k == 0) continue;
    if (n == max) return -1;
    int id = vocab_find(v, w);
    if (id < 0) {
      id = UNK_TOKEN;
      if (unknown) (*unknown)++;
    }
    ids[n++] = id;
  }
  return n;
}

@ With the vocabulary of Part II a word that is not in it becomes \.{<UNK>} rather than an error, so only a sentence with no words, or with too many, is refused.
@<Pair functions@>=
int make_examples_unk(const PairList *pl, const Vocab *vin, const Vocab *vout,
  int max_length, Example **out)
{
  Example *ex = xcalloc((size_t) (pl->n ? pl->n : 1), sizeof *ex);
  for (int k = 0; k < pl->n; k++) {
    int n = tokenize_unk(vin, pl->pair[k].src, ex[k].src, max_length - 1, NULL);
    int m = tokenize_unk(vout, pl->pair[k].tgt, ex[k].tgt, max_length - 1, NULL);
    if (n <= 0 || m < 0) {
      free(ex);
      return kit_fail("%s:%d: the %s sentence has %s", pl->origin, pl->pair[k].line,
        n <= 0 ? "English" : "French", n == 0 ? "no words" :
        "more words than the model's max_length allows");
    }
    ex[k].src[n++] = EOS_TOKEN;
    ex[k].tgt[m++] = EOS_TOKEN;
    ex[k].src_len = n;
    ex[k].tgt_len = m;
  }
  *out = ex;
  return 0;
}

@ @<Prototypes@>=
void pairs_vocabularies_unk(const PairList *pl, int min_count, Vocab *vin, Vocab *vout);
int tokenize_unk(const Vocab *v, const char *s, int *ids, int max, int *unknown);
int make_examples_unk(const PairList *pl, const Vocab *vin, const Vocab *vout,
  int max_length, Example **out);

@* Batches as matrices.
@^minibatch@>
A batch of $B$ pairs is laid out {\it time-major}: the row of sentence $b$ at
position $s$ is row $sB+b$ of a matrix. Then the $B$ rows of one time step
are contiguous, and one step of the GRU for the whole batch is one product of
a $B\times H$ matrix with $W_h^{\top}$; the rows of all the steps together are
contiguous too, so the input side of the encoder's GRU, $X W_i^{\top}$, is
one product of $SB$ rows, done once per batch. The same holds for the
output layer: the decoder's states of all $T$ steps are $TB$ contiguous rows,
and the logits of the whole batch are one product with $W_o^{\top}$.

Figure~5 shows a batch of three pairs of different lengths. The shorter
sentences are padded with \.{<PAD>} to the longest source, $S=5$ words, and
the targets to the longest target, $T=5$. Three things keep the padding out
of the result, and the chapters that follow build each: the encoder's final
state of a row is its state after its own \EOS, not after the padding; the
attention weights of a padded source place are exactly 0, because the
softmax is taken over each row's own words only (a {\it mask}); and the loss
is the mean over the real target words (12 here), so a padded place has no
loss and sends back no gradient.
@^mask@>
@^padding@>

\medskip
\centerline{\kitpicture{420}{150}{%
\pdfliteral{q
0.4 w 0.45 G 24 120 36 16 re S 0.4 w 0.45 G 60 120 36 16 re S 0.4 w 0.45 G 96 120 36 16 re S
0.4 w 0.45 G 132 120 36 16 re S 0.4 w 0.45 G 168 120 36 16 re S 0.4 w 0.45 G 24 104 36 16 re S
0.4 w 0.45 G 60 104 36 16 re S 0.4 w 0.45 G 96 104 36 16 re S 0.82 g 132 104 36 16 re f
0.4 w 0.45 G 132 104 36 16 re S 0.82 g 168 104 36 16 re f 0.4 w 0.45 G 168 104 36 16 re S
0.4 w 0.45 G 24 88 36 16 re S 0.4 w 0.45 G 60 88 36 16 re S 0.4 w 0.45 G 96 88 36 16 re S
0.4 w 0.45 G 132 88 36 16 re S 0.82 g 168 88 36 16 re f 0.4 w 0.45 G 168 88 36 16 re S
0.97 g 240 120 36 16 re f 0.4 w 0.45 G 240 120 36 16 re S 0.94 g 276 120 36 16 re f
0.4 w 0.45 G 276 120 36 16 re S 0.58 g 312 120 36 16 re f 0.4 w 0.45 G 312 120 36 16 re S
0.94 g 348 120 36 16 re f 0.4 w 0.45 G 348 120 36 16 re S 0.97 g 384 120 36 16 re f
0.4 w 0.45 G 384 120 36 16 re S 0.52 g 240 104 36 16 re f 0.4 w 0.45 G 240 104 36 16 re S
0.91 g 276 104 36 16 re f 0.4 w 0.45 G 276 104 36 16 re S 0.97 g 312 104 36 16 re f
0.4 w 0.45 G 312 104 36 16 re S 0.82 g 348 104 36 16 re f 0.4 w 0.45 G 348 104 36 16 re S
0.82 g 384 104 36 16 re f 0.4 w 0.45 G 384 104 36 16 re S 0.94 g 240 88 36 16 re f
0.4 w 0.45 G 240 88 36 16 re S 0.61 g 276 88 36 16 re f 0.4 w 0.45 G 276 88 36 16 re S
0.91 g 312 88 36 16 re f 0.4 w 0.45 G 312 88 36 16 re S 0.94 g 348 88 36 16 re f
0.4 w 0.45 G 348 88 36 16 re S 0.82 g 384 88 36 16 re f 0.4 w 0.45 G 384 88 36 16 re S
0.4 w 0.45 G 24 48 36 16 re S 0.4 w 0.45 G 60 48 36 16 re S 0.4 w 0.45 G 96 48 36 16 re S
0.4 w 0.45 G 132 48 36 16 re S 0.4 w 0.45 G 168 48 36 16 re S 0.4 w 0.45 G 24 32 36 16 re S
0.4 w 0.45 G 60 32 36 16 re S 0.4 w 0.45 G 96 32 36 16 re S 0.82 g 132 32 36 16 re f
0.4 w 0.45 G 132 32 36 16 re S 0.82 g 168 32 36 16 re f 0.4 w 0.45 G 168 32 36 16 re S
0.4 w 0.45 G 24 16 36 16 re S 0.4 w 0.45 G 60 16 36 16 re S 0.4 w 0.45 G 96 16 36 16 re S
0.4 w 0.45 G 132 16 36 16 re S 0.82 g 168 16 36 16 re f 0.4 w 0.45 G 168 16 36 16 re S
Q}%
\kitput{42}{125}{\.{he}}%
\kitput{78}{125}{\.{is}}%
\kitput{114}{125}{\.{tall}}%
\kitput{150}{125}{\.{.}}%
\kitput{186}{125}{\.{<EOS>}}%
\kitput{42}{109}{\.{go}}%
\kitput{78}{109}{\.{.}}%
\kitput{114}{109}{\.{<EOS>}}%
\kitput{150}{109}{\.{<PAD>}}%
\kitput{186}{109}{\.{<PAD>}}%
\kitput{42}{93}{\.{i}}%
\kitput{78}{93}{\.{see}}%
\kitput{114}{93}{\.{.}}%
\kitput{150}{93}{\.{<EOS>}}%
\kitput{186}{93}{\.{<PAD>}}%
\kitput{14}{125}{$\scriptstyle 0$}%
\kitput{14}{109}{$\scriptstyle 1$}%
\kitput{14}{93}{$\scriptstyle 2$}%
\kitput{258}{125}{$.05$}%
\kitput{294}{125}{$.10$}%
\kitput{330}{125}{$.70$}%
\kitput{366}{125}{$.10$}%
\kitput{402}{125}{$.05$}%
\kitput{258}{109}{$.80$}%
\kitput{294}{109}{$.15$}%
\kitput{330}{109}{$.05$}%
\kitput{366}{109}{$0$}%
\kitput{402}{109}{$0$}%
\kitput{258}{93}{$.10$}%
\kitput{294}{93}{$.65$}%
\kitput{330}{93}{$.15$}%
\kitput{366}{93}{$.10$}%
\kitput{402}{93}{$0$}%
\kitput{230}{125}{$\scriptstyle 0$}%
\kitput{230}{109}{$\scriptstyle 1$}%
\kitput{230}{93}{$\scriptstyle 2$}%
\kitput{42}{53}{\.{il}}%
\kitput{78}{53}{\.{est}}%
\kitput{114}{53}{\.{grand}}%
\kitput{150}{53}{\.{.}}%
\kitput{186}{53}{\.{<EOS>}}%
\kitput{42}{37}{\.{va}}%
\kitput{78}{37}{\.{!}}%
\kitput{114}{37}{\.{<EOS>}}%
\kitput{150}{37}{\.{<PAD>}}%
\kitput{186}{37}{\.{<PAD>}}%
\kitput{42}{21}{\.{je}}%
\kitput{78}{21}{\.{vois}}%
\kitput{114}{21}{\.{.}}%
\kitput{150}{21}{\.{<EOS>}}%
\kitput{186}{21}{\.{<PAD>}}%
\kitput{14}{53}{$\scriptstyle 0$}%
\kitput{14}{37}{$\scriptstyle 1$}%
\kitput{14}{21}{$\scriptstyle 2$}%
\kitput{114}{142}{\kitsmall the sources, $B=3$ rows, $S=5$ steps}%
\kitput{330}{142}{\kitsmall the weights $w_{b,i}$ of one decoder step}%
\kitput{114}{70}{\kitsmall the targets, $T=5$ steps}%
\kitputl{240}{58}{\kitsmall the loss: the mean of $-\ell_t[y_t]$}%
\kitputl{240}{48}{\kitsmall over the 12 real words;}%
\kitputl{240}{38}{\kitsmall the 3 padded target places (grey)}%
\kitputl{240}{28}{\kitsmall have no loss and no gradient.}%
\kitputl{240}{18}{\kitsmall The encoder's final state of each row}%
\kitputl{240}{8}{\kitsmall is its state after its own \EOS.}%
}}
\kitcaption{.95\hsize}{Figure~5. A masked batch. Three sentences, padded with
\.{<PAD>} (grey) to $S=5$ source and $T=5$ target places. Middle: the
weights of one decoder step, darker where larger; each row adds up to 1 over
its own words and is 0 on its padding.}

Word numbers and lengths travel as |int| arrays in the same order, on the
backend: |src[s*B+b]| (\.{<PAD>} beyond a sentence), |dec_in[t*B+b]| (\SOS,
then the target shifted by one: teacher forcing) and the sources' lengths
|src_len[b]|, which the masks read. The targets are different: only the batch's real
target words have a loss, so they are listed alone, |tgt[k]| with its row
|rows[k]| among the $TB$ rows of the decoder. The output layer, the largest
product of all ($V\times H$ per row), then runs on the real words only;
with the corpus's lengths that saves about a quarter of its work. The host
keeps only the sizes.
@^teacher forcing@>
@<Types@>=
typedef struct {
  int B, S, T; /* sentences, longest source, longest target (with \EOS) */
  int tokens; /* real target words, the loss's denominator */
} Batch;

@* The backend interface.
@^backend@>
@^CUDA@>
The batched model is written once and runs on a processor or a graphics card.
What differs between the two is where the numbers live and who does the
arithmetic, so the model asks a {\it backend\/} for both: memory (allocate,
free, copy in, copy out), the matrix product, and one call for each of the
per-element kernels of the next section. The CPU backend answers with CBLAS
and plain loops; the CUDA backend with cuBLAS and kernels. The model never
touches a number directly; it holds pointers that only its backend
understands.

The product follows CBLAS's row-major convention:
$C\leftarrow\alpha\,{\rm op}(A)\,{\rm op}(B)+\beta C$ with $C$ of $M\times N$,
${\rm op}(A)$ of $M\times K$, and |lda|, |ldb|, |ldc| the distances between
rows. A column block of a matrix is then a pointer offset with the full
row length as its leading dimension: that is how the model multiplies by the
two halves of $W_i$ of a GRU that reads $[e;c]$ without ever copying $[e;c]$.
@^matrix product@>
@<Types@>=
typedef struct Backend Backend;
struct Backend {
  const char *name;
  void *(*alloc)(size_t bytes); /* zeroed */
  void (*release)(void *p);
  void (*upload)(void *dst, const void *src, size_t bytes);
  void (*download)(void *dst, const void *src, size_t bytes);
  void (*copy)(void *dst, const void *src, size_t bytes);
  void (*zero)(void *p, size_t bytes);
  void (*gemm)(int ta, int tb, int M, int N, int K, float alpha, const float *A,
    int lda, const float *B, int ldb, float beta, float *C, int ldc);
  @<Kernels of the backend interface@>@;
};

@ A kernel is a loop over an index from 0 to some $n$, or over a pair of
indices, a row $r$ and a column $j$ of an $n\times m$ array; the body of the
loop is a |KIT_HD| function of the index, written once, in the header. The
CPU backend runs the loops, nested, the columns inside; the CUDA backend
launches one thread per index (a thread $i$ of a pair-indexed kernel takes
$r=\lfloor i/m\rfloor$ and $j=i\bmod m$), and the thread calls the same
function. Each body writes only its own outputs, and
where a body sums (over the words of a sentence, the rows of a batch) it
does so in a fixed order inside one |i|, so the results do not depend on how
the threads are scheduled: two runs give the same bits.
@^determinism@>
@^per-element kernels@>
@<Kernels of the backend interface@>=
void (*embed)(float *out, const float *table, const int *ids, int n, int H,
  float p, uint64_t seed);
void (*embed_backward)(float *dtable, const float *dout, const int *ids, int n, int H,
  float p, uint64_t seed);
void (*add_bias)(float *y, const float *b, int n, int m);
void (*gather_rows)(float *dst, const float *src, const int *rows, int n, int m);
void (*scatter_rows)(float *dst, const float *src, const int *rows, int n, int m);
void (*gru_forward)(float *h_new, GruCache *cache, const float *gi, const float *gh,
  const float *h, float *out, const int *len, int s, int B, int H);
void (*gru_backward)(float *dgi, float *dgh, float *dh_prev, const float *dh_new,
  const float *dout, const float *h, const GruCache *cache, const int *len, int s,
  int B, int H);

@ The attention's kernels: the scores of each kind, the masked softmax, the context, and the backward pass of each.
@<Kernels of the backend interface@>=
void (*additive_scores)(float *e, float *a, const float *wq, const float *uk,
  const float *va, int B, int S, int H);
void (*additive_backward)(float *dwq, float *duk, float *dva, const float *de,
  float *a, const float *va, int B, int S, int H);
void (*dot_scores)(float *e, const float *q, const float *k, int B, int S, int H,
  int heads, float scale);
void (*dot_backward)(float *dq, float *dk, const float *de, const float *q,
  const float *k, int B, int S, int H, int heads, float scale);
void (*masked_softmax)(float *w, const float *e, const int *len, int B, int heads, int S);
void (*softmax_backward)(float *de, const float *dw, const float *w, int rows, int S);
void (*context)(float *c, const float *w, const float *v, int B, int S, int H, int heads);
void (*context_backward)(float *dw, float *dv, const float *dc, const float *w,
  const float *v, int B, int S, int H, int heads);

@ The rest are small and general: tanh, the loss and its gradient, the log-softmax, the argmax of decoding, sums, and Adam's step.
@<Kernels of the backend interface@>=
void (*tanh_forward)(float *y, const float *x, int n);
void (*tanh_backward)(float *dx, const float *dy, const float *y, int n);
void (*nll)(float *logits, float *row_loss, const int *tgt, int n, int V, float scale);
void (*log_softmax)(float *x, int n, int V);
void (*argmax)(int *out, const float *x, int n, int V);
void (*sum)(float *acc, const float *x, int n);
void (*add)(float *y, const float *x, int n);
void (*adam)(float *p, const float *g, float *m, float *v, size_t n, AdamConstants k);

@* The per-element kernels.
@^per-element kernels@>
Each kernel body is a function of the index |i| and the arrays. They are
marked |KIT_HD|, so that the CUDA backend's thin \.{\_\_global\_\_} wrappers
call exactly this arithmetic, and |static inline|, so that the CPU loops
compile them in place.

Dropout sets each number of an embedding to zero with probability $p$ and
multiplies the others by $1/(1-p)$, so the expected value is unchanged. Its
random bits come from a hash of the batch's seed and the index (the
finaliser of SplitMix64): the backward pass recomputes the same mask instead
of storing it, and the GPU draws the same bits as the CPU.
@^dropout@>
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline float dropout_scale(uint64_t seed, uint64_t i, float p)
{
  if (p <= 0.0f) return 1.0f;
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  float u = (float) (z >> 40) * (1.0f / 16777216.0f);
  return u < p ? 0.0f : 1.0f / (1.0f - p);
}

KIT_HD static inline void kb_embed(int r, int j, float *out, const float *table,
  const int *ids, int H, float p, uint64_t seed)
{
  size_t i = (size_t) r * H + j;
  out[i] = table[(size_t) ids[r] * H + j] * dropout_scale(seed, (uint64_t) i, p);
}

@ The embedding's gradient is a scatter: row |ids[r]| of the table gathers
the gradients of every position where that word occurs. One index |i| is
one column $j$; it walks the rows in order, so the same word's
contributions add up in the same order everywhere.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_embed_backward(int j, float *dtable, const float *dout,
  const int *ids, int n, int H, float p, uint64_t seed)
{
  for (int r = 0; r < n; r++) {
    size_t i = (size_t) r * H + j;
    dtable[(size_t) ids[r] * H + j] += dout[i] * dropout_scale(seed, i, p);
  }
}

@ A bias is added to every row. (Its gradient, the sum of the rows'
gradients, is a product with a row of ones: the model asks the backend's
|gemm| for it.)
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_add_bias(int r, int j, float *y, const float *b, int m)
{
  y[(size_t) r * m + j] += b[j];
}

@ Rows are gathered by a list of row numbers, and scattered back by it (the
rows of a list are different, so no two threads write one number).
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_gather_rows(int r, int j, float *dst, const float *src,
  const int *rows, int m)
{
  dst[(size_t) r * m + j] = src[(size_t) rows[r] * m + j];
}

KIT_HD static inline void kb_scatter_rows(int r, int j, float *dst, const float *src,
  const int *rows, int m)
{
  dst[(size_t) rows[r] * m + j] = src[(size_t) r * m + j];
}

@ One GRU unit of one sentence, at source position |s|. A sentence that has
ended ($s\ge{}$|len[b]|) keeps its state and writes a zero output: that is
what \PB{PyTorch}'s packed sequences do, and it makes the final state the
state after the sentence's own last word. The decoder passes |len==NULL|: all
its sentences run every step, and the loss mask alone decides what counts.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_gru_forward(int b, int j, float *h_new, GruCache *cache,
  const float *gi, const float *gh, const float *h, float *out, const int *len,
  int s, int H)
{
  size_t i = (size_t) b * H + j;
  const float *x = gi + (size_t) b * 3 * H, *y = gh + (size_t) b * 3 * H;
  if (len && s >= len[b]) {
    h_new[i] = h[i];
    if (out) out[i] = 0.0f;
    return;
  }
  h_new[i] = gru_unit_forward(x[j], x[H + j], x[2 * H + j], y[j], y[H + j],
    y[2 * H + j], h[i], &cache[i]);
  if (out) out[i] = h_new[i];
}

@ Backwards, an ended sentence passes its state's gradient straight through
and has no gate gradients. |dout| is the gradient of the step's output (the
attention's, for the encoder), added to the one that comes from later steps.
The part through $W_h$ is added by a product afterwards.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_gru_backward(int b, int j, float *dgi, float *dgh,
  float *dh_prev, const float *dh_new, const float *dout, const float *h,
  const GruCache *cache, const int *len, int s, int H)
{
  size_t i = (size_t) b * H + j;
  float *x = dgi + (size_t) b * 3 * H, *y = dgh + (size_t) b * 3 * H;
  if (len && s >= len[b]) {
    x[j] = x[H + j] = x[2 * H + j] = y[j] = y[H + j] = y[2 * H + j] = 0.0f;
    dh_prev[i] = dh_new[i];
    return;
  }
  float d = dh_new[i] + (dout ? dout[i] : 0.0f), dh = 0.0f;
  gru_unit_backward(d, h[i], &cache[i], &x[j], &x[H + j], &x[2 * H + j], &y[2 * H + j], &dh);
  y[j] = x[j];
  y[H + j] = x[H + j];
  dh_prev[i] = dh;
}

@ The additive score of sentence $b$ and source position $s$ (index
$i=bS+s$): $e_i=v_a\cdot\tanh(W_aq_b+b_a+U_ak_{s,b}+b_u)$, where the two
products come in precomputed, |wq| once per step and |uk| once per batch. The
$H$ values of the $\tanh$ are kept for the backward pass. Bahdanau's $v_a$
has a bias too; it adds the same number to every score of a row, which the
softmax cannot see, so it is left out here (and its gradient is exactly zero,
see the backward pass).
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_additive_score(int i, float *e, float *KIT_RESTRICT a,
  const float *KIT_RESTRICT wq, const float *KIT_RESTRICT uk, const float *va, int B, int S,
  int H)
{
  @<Set |e[i]| to the additive score of index |i|, keeping its $\tanh$ values in |a|@>@;
}

@ The $\tanh$ loop is apart from the sum, and its pointers are |restrict|, so
that it runs on the vector |tanhf|.
@<Set |e[i]| to the additive score of index |i|, keeping its $\tanh$ values in |a|@>=
int b = i / S, s = i % S;
const float *q = wq + (size_t) b * H, *k = uk + ((size_t) s * B + b) * H;
float *ai = a + (size_t) i * H, sum = 0.0f;
for (int j = 0; j < H; j++) ai[j] = tanhf(q[j] + k[j]);
for (int j = 0; j < H; j++) sum += va[j] * ai[j];
e[i] = sum;

@ Backwards, with $\bar e_i$ given: $v_a$ gathers $\sum_i\bar e_ia_i$ (a product,
done first), and the pre-activation's gradient $\bar e_i\,v_a\odot(1-a_i^2)$
replaces $a_i$ in place (index $r=bS+s$, column $j$). It goes to the query's
product, summed over the sentence's positions, and to the keys' product, one
position at a time ($r=sB+b$ there, the keys' order).
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_additive_pre(int r, int j, float *a, const float *de,
  const float *va, int H)
{
  @<Replace $a_{r,j}$ by the gradient of its pre-activation@>@;
}

KIT_HD static inline void kb_additive_dwq(int b, int j, float *dwq, const float *dpre,
  int S, int H)
{
  @<Set $\bar q_{b,j}$ to the sum of the pre-activation's gradients over the positions@>@;
}

KIT_HD static inline void kb_additive_duk(int r, int j, float *duk, const float *dpre,
  int B, int S, int H)
{
  @<Add the pre-activation's gradient of key row |r| to $\overline{uk}_{r,j}$@>@;
}

@ The tanh's derivative is $1-a^2$, read from the value that the forward pass kept.
@<Replace $a_{r,j}$ by the gradient of its pre-activation@>=
float x = a[(size_t) r * H + j];
a[(size_t) r * H + j] = de[r] * va[j] * (1.0f - x * x);

@ The query's product is shared by all the positions of its sentence, so its gradient is their sum.
@<Set $\bar q_{b,j}$ to the sum of the pre-activation's gradients over the positions@>=
float s = 0.0f;
for (int p = 0; p < S; p++) s += dpre[((size_t) b * S + p) * H + j];
dwq[(size_t) b * H + j] = s;

@ Each key's product belongs to one position of one sentence; key row $r$ is position $r/B$ of sentence $r\bmod B$.
@<Add the pre-activation's gradient of key row |r| to $\overline{uk}_{r,j}$@>=
int s = r / B, b = r % B;
duk[(size_t) r * H + j] += dpre[((size_t) b * S + s) * H + j];

@ Exercise~14 (hard, 7 points). Write the four sections above: Bahdanau's
score forward and backward. Forward, for index $i=bS+s$: the $H$ values
$a_{i,j}=\tanh(|wq|_{b,j}+|uk|_{sB+b,j})$ into row $i$ of |a|, and
$e_i=\sum_jv_{a,j}a_{i,j}$. Backward, with $\bar e$ given: the gradient of
the pre-activation $\bar e_r\,v_{a,j}(1-a_{r,j}^2)$ in place of $a_{r,j}$
(row $r=bS+s$); the query's gradient, written, the sum over the sentence's
$S$ positions in order; the keys' gradient, {\it added}, row $r=sB+b$ in the
keys' time-major order. The tests check hand-worked numbers, random shapes
against the definitions in double precision, the gradients against central
differences of $\sum_i\bar e_ie_i$, and that the keys' gradient is added to
what is there.
@^exercises@>

@ Dot-product scores, for one head or several. Index $i=(bN+h)S+s$ is head
$h$ of sentence $b$ at position $s$; the head's numbers are the $d_k=H/N$
columns from $hd_k$ on. |scale| is 1 for Luong and $1/\sqrt{d_k}$ for multi-head
attention.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_dot_score(int i, float *e, const float *q, const float *k,
  int B, int S, int H, int heads, float scale)
{
  int s = i % S, h = (i / S) % heads, b = i / (S * heads), d = H / heads;
  const float *x = q + (size_t) b * H + h * d, *y = k + ((size_t) s * B + b) * H + h * d;
  float sum = 0.0f;
  for (int j = 0; j < d; j++) sum += x[j] * y[j];
  e[i] = scale * sum;
}

@ Backwards, $\bar q$ (written) sums over the positions, $\bar k$ (added, as
keys gather from every step) takes one step's share.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_dot_dq(int b, int c, float *dq, const float *de,
  const float *k, int B, int S, int H, int heads, float scale)
{
  const float *d = de + ((size_t) b * heads + c / (H / heads)) * S;
  float sum = 0.0f;
  for (int s = 0; s < S; s++) sum += d[s] * k[((size_t) s * B + b) * H + c];
  dq[(size_t) b * H + c] = scale * sum;
}

KIT_HD static inline void kb_dot_dk(int r, int c, float *dk, const float *de,
  const float *q, int B, int S, int H, int heads, float scale)
{
  int s = r / B, b = r % B, h = c / (H / heads);
  dk[(size_t) r * H + c] += scale * de[((size_t) b * heads + h) * S + s] * q[(size_t) b * H + c];
}

@ The masked softmax of one row (one head of one sentence) runs over the
sentence's own |len[b]| positions and writes an exact 0 at the others; the
maximum is subtracted first, as in Part I, so no exponential overflows.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_masked_softmax(int r, float *w, const float *e,
  const int *len, int heads, int S)
{
  @<Set row |r| of |w| to the softmax of row |r| of |e| over its sentence's words@>@;
}

@ Row |r| belongs to sentence |r/heads|, whose length is the number of
positions that count.
@<Set row |r| of |w| to the softmax of row |r| of |e| over its sentence's words@>=
int n = len[r / heads];
const float *x = e + (size_t) r * S;
float *y = w + (size_t) r * S, mx = x[0], sum = 0.0f;
for (int s = 1; s < n; s++) if (x[s] > mx) mx = x[s];
for (int s = 0; s < n; s++) sum += (y[s] = expf(x[s] - mx));
for (int s = 0; s < S; s++) y[s] = s < n ? y[s] / sum : 0.0f;

@ Exercise~13 (easy, 5 points). Write the section above, the body of
|kb_masked_softmax|: row |r| of the $S$ scores |e| (sentence |r/heads|, one
head of it) becomes, in row |r| of |w|, the softmax over the sentence's first
|len[r/heads]| positions, with the largest of those scores subtracted first,
and an exact 0 at every other position, whatever number the scores hold there
(a pad's score may be anything, even a NaN). The tests check the worked
example below, rows of several heads, scores of $\pm1000$, pads that hold
huge numbers and NaNs, and random rows against the definition computed in
double precision.
@^exercises@>

@ The softmax's gradient is Part I's, $\bar e_s=w_s(\bar w_s-\sum_pw_p\bar w_p)$;
a masked position has $w_s=0$, so its gradient is exactly 0 as well.
@^softmax, gradient of@>
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_softmax_backward(int r, float *de, const float *dw,
  const float *w, int S)
{
  const float *x = dw + (size_t) r * S, *y = w + (size_t) r * S;
  float avg = 0.0f;
  for (int s = 0; s < S; s++) avg += y[s] * x[s];
  for (int s = 0; s < S; s++) de[(size_t) r * S + s] = y[s] * (x[s] - avg);
}

@ A worked example, to check by hand. A sentence of three words padded to
four positions has the scores $e=(1.0,\,2.0,\,0.5,\,\ast)$; the fourth is a
pad, and whatever number is there, the masked softmax ignores it. The
maximum is 2.0, the exponentials of $e-2$ are $0.3679$, $1$, $0.2231$,
their sum is $1.5910$, and
$$w=(0.2312,\;0.6285,\;0.1402,\;0).$$
With the keys $k_1=(1,0)$, $k_2=(0,1)$, $k_3=(1,1)$ (and anything at the
pad) the context is $c=0.2312k_1+0.6285k_2+0.1402k_3=(0.3715,\,0.7688)$.
Backwards, suppose the weights' gradient is $\bar w=(1,0,0,\ast)$: then
$\sum_pw_p\bar w_p=0.2312$ and
$$\bar e=\bigl(0.2312\cdot0.7688,\;0.6285\cdot(-0.2312),\;0.1402\cdot(-0.2312),\;0\bigr)
=(0.1778,\,-0.1453,\,-0.0324,\,0),$$
which sums to zero, as the gradient of anything through a softmax must:
adding a constant to all scores changes nothing. The pad's gradient is exactly 0, so nothing flows into whatever the
encoder put there.
@^worked example@>
@^masking@>

@ The context of each head is the weighted sum of its columns of the values,
for sentence $b$ and column $c$. Backwards, a weight's gradient
is a dot product over its head's columns, and a value gathers
$w\,\bar c$.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_context(int b, int col, float *c, const float *w,
  const float *v, int B, int S, int H, int heads)
{
  const float *x = w + ((size_t) b * heads + col / (H / heads)) * S;
  float sum = 0.0f;
  for (int s = 0; s < S; s++) sum += x[s] * v[((size_t) s * B + b) * H + col];
  c[(size_t) b * H + col] = sum;
}

KIT_HD static inline void kb_context_dw(int i, float *dw, const float *dc, const float *v,
  int B, int S, int H, int heads)
{
  int s = i % S, h = (i / S) % heads, b = i / (S * heads), d = H / heads;
  const float *x = dc + (size_t) b * H + h * d, *y = v + ((size_t) s * B + b) * H + h * d;
  float sum = 0.0f;
  for (int j = 0; j < d; j++) sum += x[j] * y[j];
  dw[i] = sum;
}

KIT_HD static inline void kb_context_dv(int r, int c, float *dv, const float *dc,
  const float *w, int B, int S, int H, int heads)
{
  int s = r / B, b = r % B, h = c / (H / heads);
  dv[(size_t) r * H + c] += w[((size_t) b * heads + h) * S + s] * dc[(size_t) b * H + c];
}

@ The loss of one row of logits: its log-softmax, the negative log-probability
of its target, and, in place of the logits, the gradient
$(p-{\rm onehot}(y))\cdot{}$|scale|, where |scale| is one over the number of
real target words of the batch (the loss is their mean; the rows are those
of the real words only, so no \.{<PAD>} target reaches here).
@^loss, masked@>
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_nll(int r, float *logits, float *row_loss, const int *tgt,
  int V, float scale)
{
  float *x = logits + (size_t) r * V, mx = x[0], sum = 0.0f;
  int y = tgt[r];
  for (int j = 1; j < V; j++) if (x[j] > mx) mx = x[j];
  float xy = x[y] - mx;
  for (int j = 0; j < V; j++) x[j] = expf(x[j] - mx);
  for (int j = 0; j < V; j++) sum += x[j];
  row_loss[r] = logf(sum) - xy;
  float k = scale / sum;
  for (int j = 0; j < V; j++) x[j] *= k;
  x[y] -= scale;
}

@ For decoding: a row's log-softmax in place, and its most probable word (the
lowest number among equals, as in Part I).
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_log_softmax(int r, float *x, int V)
{
  float *y = x + (size_t) r * V, mx = y[0], sum = 0.0f;
  for (int j = 1; j < V; j++) if (y[j] > mx) mx = y[j];
  for (int j = 0; j < V; j++) sum += expf(y[j] - mx);
  float lse = mx + logf(sum);
  for (int j = 0; j < V; j++) y[j] -= lse;
}

KIT_HD static inline void kb_argmax(int r, int *out, const float *x, int V)
{
  const float *y = x + (size_t) r * V;
  int best = 0;
  for (int j = 1; j < V; j++) if (y[j] > y[best]) best = j;
  out[r] = best;
}

@ The attentional state's $\tanh$, Adam's step for one parameter (Part I's
arithmetic, exercise~9, for one index), and a sum kept on the device, so that
the loss comes back to the host only when it is printed.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_tanh(int i, float *y, const float *x)
{
  y[i] = tanhf(x[i]);
}

KIT_HD static inline void kb_tanh_backward(int i, float *dx, const float *dy, const float *y)
{
  dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

@ Adam's step for one parameter is Part I's loop body for one index, so the
two give the same floats.
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_adam(size_t i, float *p, const float *g, float *m, float *v,
  AdamConstants c)
{
  float mi = c.b1 * m[i] + c.a1 * g[i], vi = c.b2 * v[i] + c.a2 * g[i] * g[i];
  m[i] = mi;
  v[i] = vi;
  p[i] -= c.step * mi / (sqrtf(vi) * c.inv_bc2 + c.eps);
}

KIT_HD static inline void kb_add(int i, float *y, const float *x)
{
  y[i] += x[i];
}

KIT_HD static inline void kb_sum(float *acc, const float *x, int n)
{
  float s = 0.0f;
  for (int i = 0; i < n; i++) s += x[i];
  acc[0] += s;
}

@* The CPU backend.
@^OpenBLAS@>
@^CBLAS@>
On the processor, ``device memory'' is ordinary memory, copies are |memcpy|,
and the product is CBLAS's |sgemm|, from OpenBLAS (Debian's
\.{libopenblas-dev}): its kernels are written for each processor family and
run these shapes at a large fraction of the machine's peak. Each kernel is
the plain loop over its body. The double-precision build of the tests
(\.{tests/test\_double.c}) compiles this file with every |float| made a
|double|, and calls |dgemm| instead.
@(generated/backend_cpu.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cblas.h>
@<CPU backend functions@>@;

@ On the CPU the backend's memory is the host's: allocating is |xcalloc|, and a copy is a |memmove|.
@<CPU backend functions@>=
static void *cpu_alloc(size_t bytes)
{
  return xcalloc(1, bytes);
}
static void cpu_release(void *p)
{
  free(p);
}
static void cpu_copy(void *dst, const void *src, size_t bytes)
{
  if (bytes) memmove(dst, src, bytes);
}
static void cpu_zero(void *p, size_t bytes)
{
  memset(p, 0, bytes);
}

@ The product, and the one place where the precision of the build shows.
A product's last bits depend on how it is cut into pieces: OpenBLAS's
kernels add a block of $C$ at the edge of a matrix in another order than one
inside it, so $C$'s first 160 rows computed alone do not give the same bits
as the same rows computed inside a product of 320 (\.{tests/test\_batched.c}
shows it). Its threaded driver cuts the product by the number of threads, so
one thread and two would train different models. The kit therefore cuts each
large product itself, always at the same place whatever the number of
threads, and has OpenBLAS run each piece on one thread: a product of at
least |GEMM_SPLIT| multiply-adds is cut in two halves of $C$'s rows (or of
its columns when it has few rows), at a multiple of 16. With two threads
the halves run side by side; with one, one after the other; the bits are
the same.
@^determinism@>
@<CPU backend functions@>=
#define GEMM_SPLIT (1 << 20)
static int cpu_threads; /* 0 until |cpu_set_threads|: then two if the machine has two cores */
static void gemm_piece(int ta, int tb, int M, int N, int K, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
#ifdef KIT_DOUBLE
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
    M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
    M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

@ A command that does not say how many threads to use (\.{translate},
\.{eval}) gets two on a machine with two cores, or what
\.{OMP\_NUM\_THREADS} says, OpenMP's usual way to ask for fewer.
@<CPU backend functions@>=
static int cpu_default_threads(void)
{
  const char *e = getenv("OMP_NUM_THREADS");
  if (e && atoi(e) >= 1) return atoi(e) > 1 ? 2 : 1;
  return sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
}

@ The cut: |m| rows of $C$ go to the first piece (or |n| columns), the rest to
the second. A piece of rows starts |m| rows down $A$ (|m| columns along, when
$A$ is transposed) and of $C$; a piece of columns starts |n| columns along
$B$ (|n| rows down, transposed) and of $C$. OpenMP runs the two pieces on
|cpu_threads| threads; a build without \.{-fopenmp} runs them one after the
other, with the same bits.
@<CPU backend functions@>=
static void cpu_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  if (!cpu_threads) cpu_set_threads(cpu_default_threads());
  int big = (double) M * N * K >= GEMM_SPLIT;
  int m = big && M >= 64 ? (M / 2 + 15) / 16 * 16 : 0;
  int n = big && !m && N >= 64 ? (N / 2 + 15) / 16 * 16 : 0;
  if (!m && !n) {
    gemm_piece(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for num_threads(cpu_threads) schedule(static, 1)
#endif
  for (int p = 0; p < 2; p++) {
    int r0 = p ? m : 0, c0 = p ? n : 0;
    int rows = m ? (p ? M - m : m) : M, cols = n ? (p ? N - n : n) : N;
    gemm_piece(ta, tb, rows, cols, K, alpha, ta ? A + r0 : A + (size_t) r0 * lda, lda,
      tb ? B + (size_t) c0 * ldb : B + c0, ldb, beta, C + (size_t) r0 * ldc + c0, ldc);
  }
}

@ The loops. |FOR(n)| runs a body for every index below |n|, and
|FOR2(n,m)| for every row $r<n$ and column $j<m$.
@<CPU backend functions@>=
#define FOR(n) for (int i = 0; i < (n); i++)
#define FOR2(n, m) for (int r = 0; r < (n); r++) for (int j = 0; j < (m); j++)
static void cpu_embed(float *out, const float *table, const int *ids, int n, int H,
  float p, uint64_t seed)
{
  FOR2(n, H) kb_embed(r, j, out, table, ids, H, p, seed);
}
static void cpu_embed_backward(float *dtable, const float *dout, const int *ids, int n,
  int H, float p, uint64_t seed)
{
  FOR(H) kb_embed_backward(i, dtable, dout, ids, n, H, p, seed);
}
static void cpu_add_bias(float *y, const float *b, int n, int m)
{
  FOR2(n, m) kb_add_bias(r, j, y, b, m);
}
static void cpu_gather_rows(float *dst, const float *src, const int *rows, int n, int m)
{
  FOR2(n, m) kb_gather_rows(r, j, dst, src, rows, m);
}
static void cpu_scatter_rows(float *dst, const float *src, const int *rows, int n, int m)
{
  FOR2(n, m) kb_scatter_rows(r, j, dst, src, rows, m);
}

@ The GRU of a batch, on the CPU, runs the rows of the sentences that have
not ended through Part~I's |gru_cell_forward|, which goes through the same
|gru_unit_forward| as the GPU's per-element body, one row at a time in
vector code (the vector $\exp$ and $\tanh$ of the section on fast kernels).
The rows of ended sentences go through the shared body, which keeps their
state. Run element by element through |kb_gru_forward|, the whole loop was
scalar (the compiler cannot vectorise the body's question whether a row has
ended), and its |tanhf| took a sixth of greedy decoding's time. A unit's
bits depend on its column and $H$ alone, not on the batch or its row.
@<CPU backend functions@>=
static void cpu_gru_forward(float *h_new, GruCache *cache, const float *gi,
  const float *gh, const float *h, float *out, const int *len, int s, int B, int H)
{
  for (int r = 0; r < B; r++) {
    size_t o = (size_t) r * H;
    if (len && s >= len[r])
      for (int j = 0; j < H; j++) kb_gru_forward(r, j, h_new, cache, gi, gh, h, out, len, s, H);
    else {
      gru_cell_forward(h_new + o, cache + o, gi + 3 * o, gh + 3 * o, h + o, 1, H);
      if (out) memcpy(out + o, h_new + o, (size_t) H * sizeof(float));
    }
  }
}
static void cpu_gru_backward(float *dgi, float *dgh, float *dh_prev, const float *dh_new,
  const float *dout, const float *h, const GruCache *cache, const int *len, int s,
  int B, int H)
{
  FOR2(B, H) kb_gru_backward(r, j, dgi, dgh, dh_prev, dh_new, dout, h, cache, len, s, H);
}

@ Each CPU kernel is a loop over the indices of its per-element function (|FOR| and |FOR2|); where a gradient is a sum over rows, a matrix product does it.
@<CPU backend functions@>=
static void cpu_additive_scores(float *e, float *a, const float *wq, const float *uk,
  const float *va, int B, int S, int H)
{
  FOR(B * S) kb_additive_score(i, e, a, wq, uk, va, B, S, H);
}
static void cpu_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc);
static void cpu_additive_backward(float *dwq, float *duk, float *dva, const float *de,
  float *a, const float *va, int B, int S, int H)
{
  cpu_gemm(0, 0, 1, H, B * S, 1.0f, de, B * S, a, H, 1.0f, dva, H);
  FOR2(B * S, H) kb_additive_pre(r, j, a, de, va, H);
  FOR2(B, H) kb_additive_dwq(r, j, dwq, a, S, H);
  FOR2(S * B, H) kb_additive_duk(r, j, duk, a, B, S, H);
}

@ The dot-product scores and their gradients, one loop per output: the query's gradient row by row of the batch, the keys' row by row of the source positions.
@<CPU backend functions@>=
static void cpu_dot_scores(float *e, const float *q, const float *k, int B, int S,
  int H, int heads, float scale)
{
  FOR(B * heads * S) kb_dot_score(i, e, q, k, B, S, H, heads, scale);
}
static void cpu_dot_backward(float *dq, float *dk, const float *de, const float *q,
  const float *k, int B, int S, int H, int heads, float scale)
{
  FOR2(B, H) kb_dot_dq(r, j, dq, de, k, B, S, H, heads, scale);
  FOR2(S * B, H) kb_dot_dk(r, j, dk, de, q, B, S, H, heads, scale);
}
static void cpu_masked_softmax(float *w, const float *e, const int *len, int B,
  int heads, int S)
{
  FOR(B * heads) kb_masked_softmax(i, w, e, len, heads, S);
}
static void cpu_softmax_backward(float *de, const float *dw, const float *w, int rows, int S)
{
  FOR(rows) kb_softmax_backward(i, de, dw, w, S);
}

@ The context and its backward pass follow the same pattern: the weights' gradient per score, the values' per source position.
@<CPU backend functions@>=
static void cpu_context(float *c, const float *w, const float *v, int B, int S, int H,
  int heads)
{
  FOR2(B, H) kb_context(r, j, c, w, v, B, S, H, heads);
}
static void cpu_context_backward(float *dw, float *dv, const float *dc, const float *w,
  const float *v, int B, int S, int H, int heads)
{
  FOR(B * heads * S) kb_context_dw(i, dw, dc, v, B, S, H, heads);
  FOR2(S * B, H) kb_context_dv(r, j, dv, dc, w, B, S, H, heads);
}

@ The element-wise kernels, each a loop over its function.
@<CPU backend functions@>=
static void cpu_tanh_forward(float *y, const float *x, int n)
{
  FOR(n) kb_tanh(i, y, x);
}
static void cpu_tanh_backward(float *dx, const float *dy, const float *y, int n)
{
  FOR(n) kb_tanh_backward(i, dx, dy, y);
}

@ The loss and the log-softmax work one row of logits at a time.
@<CPU backend functions@>=
static void cpu_nll(float *logits, float *row_loss, const int *tgt, int n, int V,
  float scale)
{
  FOR(n) kb_nll(i, logits, row_loss, tgt, V, scale);
}
static void cpu_log_softmax(float *x, int n, int V)
{
  FOR(n) kb_log_softmax(i, x, V);
}

@ The argmax of a row, which greedy decoding takes of every row at every
step, is on the CPU the one kernel that does not run the shared body. The
body's loop carries its best index from word to word, and the compiler
leaves it scalar: about a tenth of greedy decoding's time, for rows of 3,876
words. |row_argmax| finds the largest number first, in 16 lanes that vector
code fills side by side, then the first word that has it. A lane starts at
$-\infty$ and never takes a NaN (a comparison with NaN is false, as in the
body); the second pass finds the first of equal words, as the body keeps
the first; $-0$ equals $+0$ in both. A row that starts with a NaN gets 0, as
from the body, where every comparison with that first word fails; in any
other row the largest number is found at or after word~0. So the answer is
the body's, for every row: \.{tests/test\_cuda\_host.c} tries ties, NaNs,
infinities and both zeros.
@<CPU backend functions@>=
static int row_argmax(const float *restrict y, int V)
{
  float lane[16], m;
  int j = 0;
  if (isnan(y[0])) return 0;
  for (int k = 0; k < 16; k++) lane[k] = -INFINITY;
  for (; j + 16 <= V; j += 16)
    for (int k = 0; k < 16; k++) lane[k] = y[j + k] > lane[k] ? y[j + k] : lane[k];
  m = lane[0];
  for (int k = 1; k < 16; k++) m = lane[k] > m ? lane[k] : m;
  for (; j < V; j++) m = y[j] > m ? y[j] : m;
  for (j = 0; j < V; j++) if (y[j] == m) return j;
  return 0;
}
static void cpu_argmax(int *out, const float *x, int n, int V)
{
  FOR(n) out[i] = row_argmax(x + (size_t) i * V, V);
}

@ The sum is one running total, so that its order is fixed; the addition and
Adam's step take one number at a time.
@<CPU backend functions@>=
static void cpu_sum(float *acc, const float *x, int n)
{
  kb_sum(acc, x, n);
}
static void cpu_add(float *y, const float *x, int n)
{
  FOR(n) kb_add(i, y, x);
}
static void cpu_adam(float *p, const float *g, float *m, float *v, size_t n,
  AdamConstants k)
{
  for (size_t i = 0; i < n; i++) kb_adam(i, p, g, m, v, k);
}

@ The number of threads is the kit's, and OpenBLAS always runs on one: the
two halves of a large product (above) are the only work shared between cores.
@<CPU backend functions@>=
void cpu_set_threads(int n)
{
  openblas_set_num_threads(1);
  cpu_threads = n;
}

@ The beam's gather of each hypothesis's keys (chapter on the batched beam).
@<CPU backend functions@>=
static void cpu_gather_keys(float *dst, const float *src, const int *sent, int n, int S,
  int N, int H)
{
  FOR2(S * n, H) kb_gather_keys(r, j, dst, src, sent, n, N, H);
}

@ The table.
@<CPU backend functions@>=
const Backend cpu_backend = {"cpu", cpu_alloc, cpu_release, cpu_copy, cpu_copy,
  cpu_copy, cpu_zero, cpu_gemm, cpu_embed, cpu_embed_backward, cpu_add_bias,
  cpu_gather_rows, cpu_scatter_rows, cpu_gru_forward, cpu_gru_backward, cpu_additive_scores,
  cpu_additive_backward, cpu_dot_scores, cpu_dot_backward, cpu_masked_softmax,
  cpu_softmax_backward, cpu_context, cpu_context_backward, cpu_tanh_forward,
  cpu_tanh_backward, cpu_nll, cpu_log_softmax, cpu_argmax, cpu_sum, cpu_add, cpu_adam,
  cpu_gather_keys};

@ @<Prototypes@>=
extern const Backend cpu_backend;
void cpu_set_threads(int n);

@* The parameters of each kind.
@^parameters@>
Every kind has Part I's encoder, a decoder embedding, a decoder GRU that reads
$2H$ numbers ($[F_{y_{t-1}};c_t]$ or $[F_{y_{t-1}};\tilde h_{t-1}]$) and an output layer; they
differ in the attention's own tensors. One list names them all, with the
names of the \PB{PyTorch} modules the reference script builds
(\.{tests/torch\_batched.py}); a kind leaves out what it does not use (its
rows are 0). As in Part I, all parameters live in one buffer, and so do the
gradients and Adam's two moments.
@<Types@>=
enum { P_ENC_EMB, P_ENC_W_IH, P_ENC_W_HH, P_ENC_B_IH, P_ENC_B_HH, P_DEC_EMB,
  P_WA_W, P_WA_B, P_UA_W, P_UA_B, P_VA_W, P_VA_B, P_LIN_IN, P_LIN_OUT,
  P_INPROJ_W, P_INPROJ_B, P_OUTPROJ_W, P_OUTPROJ_B,
  P_DEC_W_IH, P_DEC_W_HH, P_DEC_B_IH, P_DEC_B_HH, P_COMBINE, P_OUT_W, P_OUT_B,
  NP_TENSORS };

@ The tensors of a Part II model, with \PB{PyTorch}'s names. The encoder is Part I's; the decoder's GRU reads $2H$ numbers, the word's embedding and the context (or $\tilde h_{t-1}$).
@<Batched model functions@>=
void batched_specs(int kind, const Config *c, TensorSpec s[NP_TENSORS])
{
  int H = c->H, bah = kind == KIND_BAHDANAU, mh = kind == KIND_MULTIHEAD;
  int luong = kind == KIND_LUONG_DOT || kind == KIND_LUONG_GENERAL;
  s[P_ENC_EMB] = (TensorSpec) {"encoder.embedding.weight", c->V_in, H};
  s[P_ENC_W_IH] = (TensorSpec) {"encoder.gru.weight_ih_l0", 3 * H, H};
  s[P_ENC_W_HH] = (TensorSpec) {"encoder.gru.weight_hh_l0", 3 * H, H};
  s[P_ENC_B_IH] = (TensorSpec) {"encoder.gru.bias_ih_l0", 3 * H, 0};
  s[P_ENC_B_HH] = (TensorSpec) {"encoder.gru.bias_hh_l0", 3 * H, 0};
  s[P_DEC_EMB] = (TensorSpec) {"decoder.embedding.weight", c->V_out, H};
  @<Set the specs of the attention's own tensors@>@;
  s[P_DEC_W_IH] = (TensorSpec) {"decoder.gru.weight_ih_l0", 3 * H, 2 * H};
  s[P_DEC_W_HH] = (TensorSpec) {"decoder.gru.weight_hh_l0", 3 * H, H};
  s[P_DEC_B_IH] = (TensorSpec) {"decoder.gru.bias_ih_l0", 3 * H, 0};
  s[P_DEC_B_HH] = (TensorSpec) {"decoder.gru.bias_hh_l0", 3 * H, 0};
  s[P_COMBINE] = (TensorSpec) {"decoder.combine.weight", mh ? H : 0, 2 * H};
  s[P_OUT_W] = (TensorSpec) {"decoder.out.weight", c->V_out, H};
  s[P_OUT_B] = (TensorSpec) {"decoder.out.bias", c->V_out, 0};
}

@ A kind's own tensors; those of the other kinds have no rows, so that one list of tensors serves every kind.
@<Set the specs of the attention's own tensors@>=
s[P_WA_W] = (TensorSpec) {"decoder.attention.Wa.weight", bah ? H : 0, H};
s[P_WA_B] = (TensorSpec) {"decoder.attention.Wa.bias", bah ? H : 0, 0};
s[P_UA_W] = (TensorSpec) {"decoder.attention.Ua.weight", bah ? H : 0, H};
s[P_UA_B] = (TensorSpec) {"decoder.attention.Ua.bias", bah ? H : 0, 0};
s[P_VA_W] = (TensorSpec) {"decoder.attention.Va.weight", bah ? 1 : 0, H};
s[P_VA_B] = (TensorSpec) {"decoder.attention.Va.bias", bah ? 1 : 0, 0};
s[P_LIN_IN] = (TensorSpec) {"decoder.attention.linear_in.weight",
  kind == KIND_LUONG_GENERAL ? H : 0, H};
s[P_LIN_OUT] = (TensorSpec) {"decoder.attention.linear_out.weight", luong ? H : 0, 2 * H};
s[P_INPROJ_W] = (TensorSpec) {"decoder.attention.in_proj_weight", mh ? 3 * H : 0, H};
s[P_INPROJ_B] = (TensorSpec) {"decoder.attention.in_proj_bias", mh ? 3 * H : 0, 0};
s[P_OUTPROJ_W] = (TensorSpec) {"decoder.attention.out_proj.weight", mh ? H : 0, H};
s[P_OUTPROJ_B] = (TensorSpec) {"decoder.attention.out_proj.bias", mh ? H : 0, 0};

@ The activations of one batch, all on the backend, sized once for
|B_cap| sentences of up to $L$ words. Their names follow the equations;
a |d_| in front is the gradient of the same thing.
@<Types@>=
typedef struct {
  int *src, *tgt, *dec_in, *src_len, *ids, *rows;
  float *enc_x, *enc_gi, *gh, *enc_h, *keys, *uk, *kp, *vp;
  GruCache *enc_cache, *dec_cache;
  float *dec_e, *dec_gi, *dec_h, *wq, *add_a, *q, *scores, *attw, *ctx, *mh, *ht;
  float *logits, *row_loss, *loss_acc, *ones, *o_real;
  float *d_out, *d_dec_gi, *d_dec_gh, *d_s, *d_s2, *d_pre, *d_ctx, *d_w, *d_e, *d_q;
  float *d_keys, *d_uk, *d_kp, *d_vp, *d_mh, *d_enc_gi, *d_enc_gh, *d_emb;
} BActs;

@ The batched model: its kind and sizes, the vocabularies, the backend and
the four buffers on it, with each tensor's offset.
@<Types@>=
typedef struct {
  int kind, heads;
  Config cfg;
  Vocab vin, vout;
  const Backend *be;
  TensorSpec spec[NP_TENSORS];
  size_t off[NP_TENSORS], n_params;
  float *p, *g, *m, *v;
  long adam_t;
  float dropout, step_p; /* dropout in training, and in the last forward pass */
  uint64_t seed, step; /* of the dropout masks */
  int B_cap;
  BActs a;
} BModel;

@ |PT| and |GT| name a tensor's parameters and gradients in the model's buffers; |dev| allocates through the backend, wherever the backend keeps its memory.
@<Batched model helpers@>=
#define PT(k) (bm->p + bm->off[k])
#define GT(k) (bm->g + bm->off[k])
static void *dev(const BModel *bm, size_t n, size_t size)
{
  return bm->be->alloc(n * size);
}

@ A bias's gradient is the sum of the rows of the output's gradient: the
product of a row of ones with them.
@<Batched model helpers@>=
static void bias_grad(const BModel *bm, float *db, const float *dy, int n, int m)
{
  bm->be->gemm(0, 0, 1, m, n, 1.0f, bm->a.ones, n, dy, m, 1.0f, db, m);
}

@ |bmodel_alloc| takes the vocabularies, as |model_alloc| does.
@<Batched model functions@>=
void bmodel_alloc(BModel *bm, const Backend *be, int kind, int heads, const Config *c,
  Vocab *vin, Vocab *vout, int B_cap)
{
  memset(bm, 0, sizeof *bm);
  bm->kind = kind;
  bm->heads = kind == KIND_MULTIHEAD ? heads : 1;
  bm->cfg = *c;
  bm->vin = *vin;
  bm->vout = *vout;
  bm->be = be;
  bm->B_cap = B_cap;
  batched_specs(kind, c, bm->spec);
  for (int k = 0; k < NP_TENSORS; k++) {
    bm->off[k] = bm->n_params;
    bm->n_params += bm->spec[k].rows ? spec_numel(&bm->spec[k]) : 0;
  }
  bm->p = dev(bm, bm->n_params, sizeof(float));
  bm->g = dev(bm, bm->n_params, sizeof(float));
  bm->m = dev(bm, bm->n_params, sizeof(float));
  bm->v = dev(bm, bm->n_params, sizeof(float));
  @<Allocate the activations of a batch@>@;
}

@ Every activation is allocated once, for the largest batch: $L$ steps of |B_cap| rows, through the backend.
@<Allocate the activations of a batch@>=
BActs *a = &bm->a;
size_t B = (size_t) B_cap, L = (size_t) c->L, H = (size_t) c->H, N = L * B, V = (size_t) c->V_out;
int **ints[] = {&a->src, &a->tgt, &a->dec_in, &a->rows};
for (int k = 0; k < 4; k++) *ints[k] = dev(bm, N, sizeof(int));
a->src_len = dev(bm, B, sizeof(int));
a->ids = dev(bm, B, sizeof(int));
a->enc_cache = dev(bm, N * H, sizeof(GruCache));
a->dec_cache = dev(bm, N * H, sizeof(GruCache));
float **nh[] = {&a->o_real, &a->enc_x, &a->keys, &a->uk, &a->kp, &a->vp, &a->dec_e, &a->q, &a->ctx,
  &a->mh, &a->d_out, &a->d_pre, &a->d_ctx, &a->d_q, &a->d_keys, &a->d_uk, &a->d_kp,
  &a->d_vp, &a->d_emb};
for (size_t k = 0; k < sizeof nh / sizeof nh[0]; k++) *nh[k] = dev(bm, N * H, sizeof(float));
float **n3h[] = {&a->enc_gi, &a->dec_gi, &a->d_dec_gi, &a->d_dec_gh, &a->d_enc_gi, &a->d_enc_gh};
for (size_t k = 0; k < sizeof n3h / sizeof n3h[0]; k++) *n3h[k] = dev(bm, N * 3 * H, sizeof(float));
a->enc_h = dev(bm, N * H + B * H, sizeof(float));
a->dec_h = dev(bm, N * H + B * H, sizeof(float));
a->ht = dev(bm, N * H + B * H, sizeof(float));
@<Allocate the small and the attention-sized activations@>@;

@ The rest are one block of $B\times H$, or sized by the attention: a number for each head and source position of each row.
@<Allocate the small and the attention-sized activations@>=
float **bh[] = {&a->wq, &a->d_s, &a->d_s2, &a->d_mh};
for (size_t k = 0; k < sizeof bh / sizeof bh[0]; k++) *bh[k] = dev(bm, B * H, sizeof(float));
a->gh = dev(bm, B * 3 * H, sizeof(float));
a->add_a = dev(bm, (kind == KIND_BAHDANAU ? N * L : 1) * H, sizeof(float));
a->scores = dev(bm, B * (size_t) bm->heads * L, sizeof(float));
a->d_w = dev(bm, B * (size_t) bm->heads * L, sizeof(float));
a->d_e = dev(bm, B * (size_t) bm->heads * L, sizeof(float));
a->attw = dev(bm, N * (size_t) bm->heads * L, sizeof(float));
a->logits = dev(bm, N * V, sizeof(float));
a->row_loss = dev(bm, N, sizeof(float));
a->loss_acc = dev(bm, 1, sizeof(float));
a->ones = dev(bm, N, sizeof(float));
float *one = xcalloc(N, sizeof(float));
for (size_t i = 0; i < N; i++) one[i] = 1.0f;
be->upload(a->ones, one, N * sizeof(float));
free(one);

@ Freeing walks the same pointers: |BActs| is nothing but pointers, so it can
be walked as an array of them.
@<Batched model functions@>=
void bmodel_free(BModel *bm)
{
  if (!bm->be) return;
  void **ptr = (void **) &bm->a;
  for (size_t k = 0; k < sizeof bm->a / sizeof(void *); k++) bm->be->release(ptr[k]);
  float *bufs[] = {bm->p, bm->g, bm->m, bm->v};
  for (int k = 0; k < 4; k++) bm->be->release(bufs[k]);
  vocab_free(&bm->vin);
  vocab_free(&bm->vout);
  memset(bm, 0, sizeof *bm);
}

@ @<Prototypes@>=
void batched_specs(int kind, const Config *c, TensorSpec s[NP_TENSORS]);
void bmodel_alloc(BModel *bm, const Backend *be, int kind, int heads, const Config *c,
  Vocab *vin, Vocab *vout, int B_cap);
void bmodel_free(BModel *bm);

@ Initialisation follows \PB{PyTorch}'s defaults as in Part I: embeddings
$N(0,1)$, every other weight and bias uniform on $\pm1/\sqrt C$ with $C$ the
layer's input width ($H$ for the GRUs, as \PB{PyTorch} has it), except
the input projection of \.{Multi}\-\.{head}\-\.{Attention}, which \PB{PyTorch} draws from
Glorot's uniform distribution $\pm\sqrt{6/(H+3H)}$, with zero biases for both
projections. The numbers are made on the host, in the buffer's order, and
copied to the backend.
@^initialisation@>
@<Batched model functions@>=
void bmodel_init_random(BModel *bm, uint64_t seed)
{
  unsigned short xs[3] = {(unsigned short) (0x330e ^ (seed >> 32)), (unsigned short) seed,
    (unsigned short) (seed >> 16)};
  float *host = xcalloc(bm->n_params, sizeof(float));
  for (int k = 0; k < NP_TENSORS; k++) {
    const TensorSpec *s = &bm->spec[k];
    if (!s->rows) continue;
    int gru = (k >= P_ENC_W_IH && k <= P_ENC_B_HH) || (k >= P_DEC_W_IH && k <= P_DEC_B_HH);
    int fan = gru || s->cols == 0 ? bm->cfg.H : s->cols;
    double bound = k == P_INPROJ_W ? sqrt(6.0 / (4.0 * bm->cfg.H)) :
      k == P_INPROJ_B || k == P_OUTPROJ_B ? 0.0 : 1.0 / sqrt((double) fan);
    for (size_t i = 0; i < spec_numel(s); i++)
      host[bm->off[k] + i] = (float) (k == P_ENC_EMB || k == P_DEC_EMB ? random_normal(xs)
        : bound * (2.0 * erand48(xs) - 1.0));
  }
  bm->be->upload(bm->p, host, bm->n_params * sizeof(float));
  free(host);
  bm->adam_t = 0;
  bm->seed = seed;
}

@ @<Prototypes@>=
void bmodel_init_random(BModel *bm, uint64_t seed);

@* The batched forward pass.
@^forward pass, batched@>
A batch goes to the backend as its word numbers, time-major, and its lengths.
The host works out $S$, $T$ and the number of real target words.
@<Batched model functions@>=
void batch_upload(BModel *bm, const Example *ex, const int *idx, int n, Batch *bt)
{
  int S = 0, T = 0, tokens = 0;
  for (int b = 0; b < n; b++) {
    const Example *e = &ex[idx ? idx[b] : b];
    if (e->src_len > S) S = e->src_len;
    if (e->tgt_len > T) T = e->tgt_len;
    tokens += e->tgt_len;
  }
  int *h = xcalloc((size_t) (4 * (S > T ? S : T) * n + 2 * n), sizeof(int));
  int *src = h, *tgt = src + S * n, *din = tgt + T * n, *sl = din + T * n;
  int *rows = sl + n, k = 0;
  @<Fill the host arrays of the batch, time-major, padded with \.{<PAD>}@>@;
  const Backend *be = bm->be;
  be->upload(bm->a.src, src, (size_t) (S * n) * sizeof(int));
  be->upload(bm->a.tgt, tgt, (size_t) tokens * sizeof(int));
  be->upload(bm->a.rows, rows, (size_t) tokens * sizeof(int));
  be->upload(bm->a.dec_in, din, (size_t) (T * n) * sizeof(int));
  be->upload(bm->a.src_len, sl, (size_t) n * sizeof(int));
  free(h);
  *bt = (Batch) {n, S, T, tokens};
}

@ Row $s$ of the batch's source holds word $s$ of every sentence (time-major), \.{<PAD>} past a sentence's end, and the decoder's inputs start with \SOS. The real target words are listed apart, with their rows, so that the output layer runs on them alone.
@<Fill the host arrays of the batch, time-major, padded with \.{<PAD>}@>=
for (int b = 0; b < n; b++) {
  const Example *e = &ex[idx ? idx[b] : b];
  for (int s = 0; s < S; s++) src[s * n + b] = s < e->src_len ? e->src[s] : PAD_TOKEN;
  for (int t = 0; t < T; t++)
    din[t * n + b] = t == 0 ? SOS_TOKEN : t <= e->tgt_len ? e->tgt[t - 1] : PAD_TOKEN;
  sl[b] = e->src_len;
}
for (int t = 0; t < T; t++)
  for (int b = 0; b < n; b++) {
    const Example *e = &ex[idx ? idx[b] : b];
    if (t < e->tgt_len) rows[k] = t * n + b, tgt[k++] = e->tgt[t];
  }

@ @<Prototypes@>=
void batch_upload(BModel *bm, const Example *ex, const int *idx, int n, Batch *bt);

@ Each batch draws new dropout masks: the seeds of the two embeddings' masks
are hashes of the model's seed and a counter of batches.
@<Batched model helpers@>=
static uint64_t mix64(uint64_t z)
{
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

@ The encoder. The embeddings of all $SB$ source words, their product with
$W_i^{\top}$ (one product of $SB\times H$ by $H\times 3H$), and then one step
per position: the product of the $B$ states with $W_h^{\top}$ and the gates.
State $h_s$ is row block $s$ of |enc_h| ($h_0=0$); the keys, the outputs with
zeros at the pads, go to |keys|.
@<Batched model helpers@>=
static void encoder_forward_b(BModel *bm, const Batch *bt, float p)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int B = bt->B, S = bt->S, H = bm->cfg.H, G = 3 * H;
  be->embed(a->enc_x, PT(P_ENC_EMB), a->src, S * B, H, p, mix64(bm->seed ^ (2 * bm->step)));
  be->gemm(0, 1, S * B, G, H, 1.0f, a->enc_x, H, PT(P_ENC_W_IH), H, 0.0f, a->enc_gi, G);
  be->add_bias(a->enc_gi, PT(P_ENC_B_IH), S * B, G);
  be->zero(a->enc_h, (size_t) B * H * sizeof(float));
  for (int s = 0; s < S; s++) {
    float *h = a->enc_h + (size_t) s * B * H;
    be->gemm(0, 1, B, G, H, 1.0f, h, H, PT(P_ENC_W_HH), H, 0.0f, a->gh, G);
    be->add_bias(a->gh, PT(P_ENC_B_HH), B, G);
    be->gru_forward(h + (size_t) B * H, a->enc_cache + (size_t) s * B * H,
      a->enc_gi + (size_t) s * B * G, a->gh, h, a->keys + (size_t) s * B * H, a->src_len,
      s, B, H);
  }
}

@ What the decoder needs from the keys is computed once per batch: Bahdanau's
$U_ak_i+b_u$, multi-head attention's projected keys and values (the second
and third block of rows of \.{in\_proj\_weight}).
@<Batched model helpers@>=
static void attention_precompute(BModel *bm, int B, int S)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int H = bm->cfg.H;
  if (bm->kind == KIND_BAHDANAU) {
    be->gemm(0, 1, S * B, H, H, 1.0f, a->keys, H, PT(P_UA_W), H, 0.0f, a->uk, H);
    be->add_bias(a->uk, PT(P_UA_B), S * B, H);
  } else if (bm->kind == KIND_MULTIHEAD) {
    const float *w = PT(P_INPROJ_W), *b = PT(P_INPROJ_B);
    be->gemm(0, 1, S * B, H, H, 1.0f, a->keys, H, w + (size_t) H * H, H, 0.0f, a->kp, H);
    be->add_bias(a->kp, b + H, S * B, H);
    be->gemm(0, 1, S * B, H, H, 1.0f, a->keys, H, w + (size_t) 2 * H * H, H, 0.0f, a->vp, H);
    be->add_bias(a->vp, b + 2 * H, S * B, H);
  }
}

@ One decoder step $t$ for the whole batch. The embedding's share of the GRU's
input product, $e_tW_{i,e}^{\top}+b_i$, is already in row block $t$ of
|dec_gi| (in training it is computed for all steps at once). Bahdanau
attends first and adds $c_tW_{i,c}^{\top}$; the others add
$\tilde h_{t-1}W_{i,c}^{\top}$ ($W_{i,c}$ is the second half of the columns
of $W_i$: a pointer |+H| with the row length $2H$). Then the GRU.
@<Batched model helpers@>=
static void decoder_step_b(BModel *bm, int B, int S, int t)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int H = bm->cfg.H, G = 3 * H;
  size_t bh = (size_t) B * H, tb = (size_t) t * bh;
  float *s_prev = a->dec_h + tb, *s_new = s_prev + bh, *gi = a->dec_gi + (size_t) t * B * G;
  const float *x2 = a->ht + tb;
  if (bm->kind == KIND_BAHDANAU) {
    @<Attend additively from $d_{t-1}$, making $c_t$@>@;
    x2 = a->ctx + tb;
  }
  be->gemm(0, 1, B, G, H, 1.0f, x2, H, PT(P_DEC_W_IH) + H, 2 * H, 1.0f, gi, G);
  be->gemm(0, 1, B, G, H, 1.0f, s_prev, H, PT(P_DEC_W_HH), H, 0.0f, a->gh, G);
  be->add_bias(a->gh, PT(P_DEC_B_HH), B, G);
  be->gru_forward(s_new, a->dec_cache + tb, gi, a->gh, s_prev, NULL, NULL, 0, B, H);
  if (bm->kind != KIND_BAHDANAU) @<Attend from $d_t$ and make $\tilde h_t$@>@;
}

@ Bahdanau's step: the query's product $W_ad_{t-1}+b$, the scores against the keys' products $U_ak_i$ (made once for the batch), the softmax over each sentence's own words, and the context.
@<Attend additively from $d_{t-1}$, making $c_t$@>=
float *w = a->attw + (size_t) t * B * S;
be->gemm(0, 1, B, H, H, 1.0f, s_prev, H, PT(P_WA_W), H, 0.0f, a->wq, H);
be->add_bias(a->wq, PT(P_WA_B), B, H);
be->additive_scores(a->scores, a->add_a + (size_t) t * B * S * H, a->wq, a->uk,
  PT(P_VA_W), B, S, H);
be->masked_softmax(w, a->scores, a->src_len, B, 1, S);
be->context(a->ctx + tb, w, a->keys, B, S, H, 1);

@ Luong's query is $d_t$ itself (dot) or $W_ad_t$ (general); multi-head
attention's is $W_Qd_t+b_Q$, and its keys and values are the projected ones.
The context of the heads goes through the output projection. Then
$\tilde h_t=\tanh(W_c[c_t;d_t])$, as two products with the halves of $W_c$.
@<Attend from $d_t$ and make $\tilde h_t$@>=
{
  int mh = bm->kind == KIND_MULTIHEAD, nh = bm->heads;
  const float *q = s_new, *K = mh ? a->kp : a->keys;
  float *w = a->attw + (size_t) t * B * nh * S, *c = a->ctx + tb, *ht = a->ht + tb + bh;
  const float *Wc = PT(mh ? P_COMBINE : P_LIN_OUT);
  if (bm->kind != KIND_LUONG_DOT) @<Project the query into |a->q|, row block $t$@>@;
  be->dot_scores(a->scores, q, K, B, S, H, nh, mh ? 1.0f / sqrtf((float) (H / nh)) : 1.0f);
  be->masked_softmax(w, a->scores, a->src_len, B, nh, S);
  be->context(mh ? a->mh + tb : c, w, mh ? a->vp : a->keys, B, S, H, nh);
  if (mh) {
    be->gemm(0, 1, B, H, H, 1.0f, a->mh + tb, H, PT(P_OUTPROJ_W), H, 0.0f, c, H);
    be->add_bias(c, PT(P_OUTPROJ_B), B, H);
  }
  be->gemm(0, 1, B, H, H, 1.0f, c, H, Wc, 2 * H, 0.0f, ht, H);
  be->gemm(0, 1, B, H, H, 1.0f, s_new, H, Wc + H, 2 * H, 1.0f, ht, H);
  be->tanh_forward(ht, ht, B * H);
}

@ For \.{luong-general} the query is $W_ad_t$; for \.{multihead}, $W_Qd_t+b_Q$.
@<Project the query into |a->q|, row block $t$@>=
{
  float *qt = a->q + tb;
  be->gemm(0, 1, B, H, H, 1.0f, s_new, H, PT(mh ? P_INPROJ_W : P_LIN_IN), H, 0.0f, qt, H);
  if (mh) be->add_bias(qt, PT(P_INPROJ_B), B, H);
  q = qt;
}

@ The decoder with teacher forcing: the embeddings of all $T$ inputs and
their share of the GRU's input product at once, the starting state (the
encoder's last, row block $S$ of |enc_h|), $\tilde h_0=0$, and the steps.
The output layer reads $d_t$ (Bahdanau) or $\tilde h_t$ (the others): the
$TB$ rows from row block 1 of |dec_h| or |ht|, contiguous, so the logits of
the whole batch are one product.
@<Batched model helpers@>=
static const float *decoder_output(const BModel *bm)
{
  return bm->kind == KIND_BAHDANAU ? bm->a.dec_h : bm->a.ht;
}

static void decoder_forward_b(BModel *bm, const Batch *bt, float p)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int B = bt->B, S = bt->S, T = bt->T, H = bm->cfg.H, G = 3 * H;
  be->embed(a->dec_e, PT(P_DEC_EMB), a->dec_in, T * B, H, p, mix64(bm->seed ^ (2 * bm->step + 1)));
  be->gemm(0, 1, T * B, G, H, 1.0f, a->dec_e, H, PT(P_DEC_W_IH), 2 * H, 0.0f, a->dec_gi, G);
  be->add_bias(a->dec_gi, PT(P_DEC_B_IH), T * B, G);
  be->copy(a->dec_h, a->enc_h + (size_t) S * B * H, (size_t) B * H * sizeof(float));
  be->zero(a->ht, (size_t) B * H * sizeof(float));
  attention_precompute(bm, B, S);
  for (int t = 0; t < T; t++) decoder_step_b(bm, B, S, t);
}

@ The loss of a batch: the outputs of the rows with a real target word are
gathered, their logits are one product, and the negative log-likelihood
leaves its gradient in place of the logits and adds the sum of the words'
losses to |loss_acc|. |bmodel_forward| runs the whole
forward pass; |p| is the dropout probability (0 for evaluation).
@<Batched model functions@>=
void bmodel_forward(BModel *bm, const Batch *bt, float p)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int B = bt->B, H = bm->cfg.H, V = bm->cfg.V_out;
  bm->step_p = p;
  encoder_forward_b(bm, bt, p);
  decoder_forward_b(bm, bt, p);
  int n = bt->tokens;
  be->gather_rows(a->o_real, decoder_output(bm) + (size_t) B * H, a->rows, n, H);
  be->gemm(0, 1, n, V, H, 1.0f, a->o_real, H, PT(P_OUT_W), H, 0.0f, a->logits, V);
  be->add_bias(a->logits, PT(P_OUT_B), n, V);
  be->nll(a->logits, a->row_loss, a->tgt, n, V, 1.0f / (float) n);
  be->sum(a->loss_acc, a->row_loss, n);
}

@ The sum of the losses since the last call, brought back from the backend.
@<Batched model functions@>=
double bmodel_take_loss(BModel *bm)
{
  float s = 0.0f;
  bm->be->download(&s, bm->a.loss_acc, sizeof s);
  bm->be->zero(bm->a.loss_acc, sizeof(float));
  return s;
}

@ @<Prototypes@>=
void bmodel_forward(BModel *bm, const Batch *bt, float p);
double bmodel_take_loss(BModel *bm);

@* The batched backward pass.
@^backward pass, batched@>
@^backpropagation through time@>
The backward pass runs the forward pass in reverse, with the same products
transposed. Two habits keep it short. First, a weight's gradient is a sum
over all steps of (input)$^{\top}$(output gradient), so the gradients of all
steps are kept and each weight gradient is {\it one\/} product at the end,
over $TB$ rows, instead of $T$ small ones. Second, a gradient that two
paths send to the same tensor is added by the second product itself
($\beta=1$): the input-feeding path sends $\bar x_{2,t}=\bar g_{i,t}W_{i,c}$
straight into the output gradient of $\tilde h_{t-1}$, which step $t-1$ reads
next.

The output layer first: $\bar O=\bar ZW_o$ for the logits' gradient $\bar Z$
(scattered back to the rows of the real words; the others get 0),
$\bar W_o\mathrel{+}=\bar Z^{\top}O$, $\bar b_o\mathrel{+}={}$the column sums.
@<Batched model functions@>=
void bmodel_backward(BModel *bm, const Batch *bt)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int B = bt->B, S = bt->S, T = bt->T, H = bm->cfg.H, V = bm->cfg.V_out;
  size_t bh = (size_t) B * H;
  int n = bt->tokens;
  be->gemm(0, 0, n, H, V, 1.0f, a->logits, V, PT(P_OUT_W), H, 0.0f, a->d_emb, H);
  be->zero(a->d_out, (size_t) T * bh * sizeof(float));
  be->scatter_rows(a->d_out, a->d_emb, a->rows, n, H);
  be->gemm(1, 0, V, H, n, 1.0f, a->logits, V, a->o_real, H, 1.0f, GT(P_OUT_W), H);
  bias_grad(bm, GT(P_OUT_B), a->logits, n, V);
  @<Zero the gradients that the steps add to@>@;
  for (int t = T - 1; t >= 0; t--) {
    if (bm->kind == KIND_BAHDANAU) @<Go back through Bahdanau's step $t$@>@;
    else @<Go back through a Luong or multi-head step $t$@>@;
    float *x = a->d_s;
    a->d_s = a->d_s2;
    a->d_s2 = x;
  }
  @<Add the weight gradients of the decoder's GRU and embedding@>@;
  @<Add the weight gradients of the attention@>@;
  encoder_backward_b(bm, bt);
}

@ Every step adds to the gradient of the decoder's state and to those of the
keys (and of their projections), so they start at zero.
@<Zero the gradients that the steps add to@>=
be->zero(a->d_s, bh * sizeof(float));
be->zero(a->d_keys, (size_t) S * bh * sizeof(float));
be->zero(a->d_uk, (size_t) S * bh * sizeof(float));
be->zero(a->d_kp, (size_t) S * bh * sizeof(float));
be->zero(a->d_vp, (size_t) S * bh * sizeof(float));

@ At the start of step $t$, |d_s| holds the gradient of $d_t$ that later
steps sent back (through their GRU and their query). The GRU's backward
kernel adds the output layer's share, |d_out|, and writes the gradient of
$d_{t-1}$ into |d_s2|; the product with $W_h$ adds the rest. The context's
gradient is the second half of $\bar g_iW_i$; through the attention it
reaches the keys, the key products and, by $W_a$, the state $d_{t-1}$ once
more.
@<Go back through Bahdanau's step $t$@>=
{
  size_t tb = (size_t) t * bh, G = 3 * (size_t) H;
  float *dgi = a->d_dec_gi + t * B * G, *dgh = a->d_dec_gh + t * B * G;
  float *w = a->attw + (size_t) t * B * S, *dq = a->d_q + tb;
  be->gru_backward(dgi, dgh, a->d_s2, a->d_s, a->d_out + tb, a->dec_h + tb,
    a->dec_cache + tb, NULL, 0, B, H);
  be->gemm(0, 0, B, H, 3 * H, 1.0f, dgh, 3 * H, PT(P_DEC_W_HH), H, 1.0f, a->d_s2, H);
  be->gemm(0, 0, B, H, 3 * H, 1.0f, dgi, 3 * H, PT(P_DEC_W_IH) + H, 2 * H, 0.0f, a->d_ctx, H);
  be->context_backward(a->d_w, a->d_keys, a->d_ctx, w, a->keys, B, S, H, 1);
  be->softmax_backward(a->d_e, a->d_w, w, B, S);
  be->additive_backward(dq, a->d_uk, GT(P_VA_W), a->d_e, a->add_a + tb * S,
    PT(P_VA_W), B, S, H);
  be->gemm(0, 0, B, H, H, 1.0f, dq, H, PT(P_WA_W), H, 1.0f, a->d_s2, H);
}

@ A Luong or multi-head step backwards: $\tilde h_t=\tanh(a_t)$ gives
$\bar a_t$ (kept for $\bar W_c$), whose products with the halves of $W_c$ are
$\bar c_t$ and a share of $\bar d_t$. Through the attention, to the values
and keys and to the query, whose gradient reaches $d_t$ directly (dot),
through $W_a$ (general) or through $W_Q$ (multi-head). Then the GRU, and the
input feeding's gradient into the output gradient of step $t-1$.
@<Go back through a Luong or multi-head step $t$@>=
{
  int mh = bm->kind == KIND_MULTIHEAD, nh = bm->heads;
  size_t tb = (size_t) t * bh, G = 3 * (size_t) H;
  float *dgi = a->d_dec_gi + t * B * G, *dgh = a->d_dec_gh + t * B * G;
  float *w = a->attw + (size_t) t * B * nh * S, *dpre = a->d_pre + tb, *dc = a->d_ctx + tb;
  const float *Wc = PT(mh ? P_COMBINE : P_LIN_OUT), *s_new = a->dec_h + tb + bh;
  be->tanh_backward(dpre, a->d_out + tb, a->ht + tb + bh, B * H);
  be->gemm(0, 0, B, H, H, 1.0f, dpre, H, Wc, 2 * H, 0.0f, dc, H);
  be->gemm(0, 0, B, H, H, 1.0f, dpre, H, Wc + H, 2 * H, 1.0f, a->d_s, H);
  @<Go back through the attention of step $t$ to its query, adding to |d_s|@>@;
  be->gru_backward(dgi, dgh, a->d_s2, a->d_s, NULL, a->dec_h + tb, a->dec_cache + tb,
    NULL, 0, B, H);
  be->gemm(0, 0, B, H, 3 * H, 1.0f, dgh, 3 * H, PT(P_DEC_W_HH), H, 1.0f, a->d_s2, H);
  if (t > 0)
    be->gemm(0, 0, B, H, 3 * H, 1.0f, dgi, 3 * H, PT(P_DEC_W_IH) + H, 2 * H, 1.0f,
      a->d_out + tb - bh, H);
}

@ Backwards through the attention of a dot-product kind: through the output projection (multi-head), the context, the softmax and the scores, to the query and the keys. For \.{luong-dot} the query is $d_t$ itself, so its gradient goes to $\bar d_t$ at once.
@<Go back through the attention of step $t$ to its query, adding to |d_s|@>=
const float *cg = dc, *K = mh ? a->kp : a->keys, *Vv = mh ? a->vp : a->keys;
const float *q = bm->kind == KIND_LUONG_DOT ? s_new : a->q + tb;
float *dK = mh ? a->d_kp : a->d_keys, *dV = mh ? a->d_vp : a->d_keys, *dq = a->d_q + tb;
float scale = mh ? 1.0f / sqrtf((float) (H / nh)) : 1.0f;
if (mh) {
  be->gemm(0, 0, B, H, H, 1.0f, dc, H, PT(P_OUTPROJ_W), H, 0.0f, a->d_mh, H);
  cg = a->d_mh;
}
be->context_backward(a->d_w, dV, cg, w, Vv, B, S, H, nh);
be->softmax_backward(a->d_e, a->d_w, w, B * nh, S);
be->dot_backward(dq, dK, a->d_e, q, K, B, S, H, nh, scale);
if (bm->kind == KIND_LUONG_DOT) be->add(a->d_s, dq, B * H);
else be->gemm(0, 0, B, H, H, 1.0f, dq, H, PT(mh ? P_INPROJ_W : P_LIN_IN), H, 1.0f, a->d_s, H);

@ The products kept for the end: $\bar W_i\mathrel{+}=\bar G_i^{\top}[E;X_2]$
in two halves ($X_2$ is the contexts for Bahdanau, $\tilde h_0,\dots,
\tilde h_{T-1}$ for the others), $\bar W_h\mathrel{+}=\bar G_h^{\top}
[s_0,\dots,s_{T-1}]$, the biases, and the embeddings' gradient
$\bar E=\bar G_iW_{i,e}$, scattered into the table's rows.
@<Add the weight gradients of the decoder's GRU and embedding@>=
{
  int G = 3 * H, N = T * B;
  const float *x2 = bm->kind == KIND_BAHDANAU ? a->ctx : a->ht;
  be->gemm(1, 0, G, H, N, 1.0f, a->d_dec_gi, G, a->dec_e, H, 1.0f, GT(P_DEC_W_IH), 2 * H);
  be->gemm(1, 0, G, H, N, 1.0f, a->d_dec_gi, G, x2, H, 1.0f, GT(P_DEC_W_IH) + H, 2 * H);
  bias_grad(bm, GT(P_DEC_B_IH), a->d_dec_gi, N, G);
  be->gemm(1, 0, G, H, N, 1.0f, a->d_dec_gh, G, a->dec_h, H, 1.0f, GT(P_DEC_W_HH), H);
  bias_grad(bm, GT(P_DEC_B_HH), a->d_dec_gh, N, G);
  be->gemm(0, 0, N, H, G, 1.0f, a->d_dec_gi, G, PT(P_DEC_W_IH), 2 * H, 0.0f, a->d_emb, H);
  be->embed_backward(GT(P_DEC_EMB), a->d_emb, a->dec_in, N, H, bm->step_p,
    mix64(bm->seed ^ (2 * bm->step + 1)));
}

@ The attention's weights, each one product over all steps. Bahdanau's $v_a$
bias and the key bias of multi-head attention (the middle third of
\.{in\_proj\_bias}) add the same number to every score of a row; a softmax
is blind to that, so their gradient is exactly zero and is left so. (Computed
the plain way, as a sum of $\bar e_i$, it would come out as rounding noise of
about $10^{-9}$, and Adam, which divides a gradient by its own size, would
turn the noise into steps of the full learning rate.)
@^softmax, shift invariance of@>
@^Adam@>
@<Add the weight gradients of the attention@>=
{
  int N = T * B, M = S * B;
  if (bm->kind == KIND_BAHDANAU) {
    be->gemm(1, 0, H, H, N, 1.0f, a->d_q, H, a->dec_h, H, 1.0f, GT(P_WA_W), H);
    bias_grad(bm, GT(P_WA_B), a->d_q, N, H);
    be->gemm(1, 0, H, H, M, 1.0f, a->d_uk, H, a->keys, H, 1.0f, GT(P_UA_W), H);
    bias_grad(bm, GT(P_UA_B), a->d_uk, M, H);
    be->gemm(0, 0, M, H, H, 1.0f, a->d_uk, H, PT(P_UA_W), H, 1.0f, a->d_keys, H);
  } else {
    int mh = bm->kind == KIND_MULTIHEAD;
    float *dWc = GT(mh ? P_COMBINE : P_LIN_OUT);
    be->gemm(1, 0, H, H, N, 1.0f, a->d_pre, H, a->ctx, H, 1.0f, dWc, 2 * H);
    be->gemm(1, 0, H, H, N, 1.0f, a->d_pre, H, a->dec_h + bh, H, 1.0f, dWc + H, 2 * H);
    if (bm->kind == KIND_LUONG_GENERAL)
      be->gemm(1, 0, H, H, N, 1.0f, a->d_q, H, a->dec_h + bh, H, 1.0f, GT(P_LIN_IN), H);
    if (mh) @<Add the gradients of the multi-head projections@>@;
  }
}

@ Multi-head attention's four projections: the output projection from the
contexts' gradients, the query's from the queries', and the keys' and values'
from what the steps gathered in |d_kp| and |d_vp|, which also flows on to
the encoder's outputs.
@<Add the gradients of the multi-head projections@>=
{
  float *dW = GT(P_INPROJ_W), *db = GT(P_INPROJ_B);
  const float *W = PT(P_INPROJ_W);
  size_t HH = (size_t) H * H;
  be->gemm(1, 0, H, H, N, 1.0f, a->d_ctx, H, a->mh, H, 1.0f, GT(P_OUTPROJ_W), H);
  bias_grad(bm, GT(P_OUTPROJ_B), a->d_ctx, N, H);
  be->gemm(1, 0, H, H, N, 1.0f, a->d_q, H, a->dec_h + bh, H, 1.0f, dW, H);
  bias_grad(bm, db, a->d_q, N, H);
  be->gemm(1, 0, H, H, M, 1.0f, a->d_kp, H, a->keys, H, 1.0f, dW + HH, H);
  be->gemm(1, 0, H, H, M, 1.0f, a->d_vp, H, a->keys, H, 1.0f, dW + 2 * HH, H);
  bias_grad(bm, db + 2 * H, a->d_vp, M, H);
  be->gemm(0, 0, M, H, H, 1.0f, a->d_kp, H, W + HH, H, 1.0f, a->d_keys, H);
  be->gemm(0, 0, M, H, H, 1.0f, a->d_vp, H, W + 2 * HH, H, 1.0f, a->d_keys, H);
}

@ The encoder backwards, from the gradient of its final state (left in
|d_s| by the decoder's first step) and of its outputs (|d_keys|). A sentence
that has ended passes the gradient of its state straight through, so the
final state's gradient reaches each sentence at its own last word.
@<Batched model helpers@>=
static void encoder_backward_b(BModel *bm, const Batch *bt)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int B = bt->B, S = bt->S, H = bm->cfg.H, G = 3 * H, M = S * B;
  size_t bh = (size_t) B * H;
  for (int s = S - 1; s >= 0; s--) {
    float *dgi = a->d_enc_gi + (size_t) s * B * G, *dgh = a->d_enc_gh + (size_t) s * B * G;
    be->gru_backward(dgi, dgh, a->d_s2, a->d_s, a->d_keys + s * bh, a->enc_h + s * bh,
      a->enc_cache + s * bh, a->src_len, s, B, H);
    be->gemm(0, 0, B, H, G, 1.0f, dgh, G, PT(P_ENC_W_HH), H, 1.0f, a->d_s2, H);
    float *x = a->d_s;
    a->d_s = a->d_s2;
    a->d_s2 = x;
  }
  be->gemm(1, 0, G, H, M, 1.0f, a->d_enc_gi, G, a->enc_x, H, 1.0f, GT(P_ENC_W_IH), H);
  bias_grad(bm, GT(P_ENC_B_IH), a->d_enc_gi, M, G);
  be->gemm(1, 0, G, H, M, 1.0f, a->d_enc_gh, G, a->enc_h, H, 1.0f, GT(P_ENC_W_HH), H);
  bias_grad(bm, GT(P_ENC_B_HH), a->d_enc_gh, M, G);
  be->gemm(0, 0, M, H, G, 1.0f, a->d_enc_gi, G, PT(P_ENC_W_IH), H, 0.0f, a->d_emb, H);
  be->embed_backward(GT(P_ENC_EMB), a->d_emb, a->src, M, H, bm->step_p,
    mix64(bm->seed ^ (2 * bm->step)));
}

@ One training step on a batch: zero the gradients, forward with dropout,
backward, Adam. The loss stays on the backend until |bmodel_take_loss|.
@<Batched model functions@>=
void bmodel_train_batch(BModel *bm, const Batch *bt, double lr)
{
  bm->be->zero(bm->g, bm->n_params * sizeof(float));
  bmodel_forward(bm, bt, bm->dropout);
  bmodel_backward(bm, bt);
  AdamConstants k = adam_constants(lr, 0.9, 0.999, 1e-8, ++bm->adam_t);
  bm->be->adam(bm->p, bm->g, bm->m, bm->v, bm->n_params, k);
  bm->step++;
}

@ @<Prototypes@>=
void bmodel_backward(BModel *bm, const Batch *bt);
void bmodel_train_batch(BModel *bm, const Batch *bt, double lr);

@* Batched greedy decoding.
@^greedy decoding@>
Translating is the decoder feeding itself, as in Part I, for a whole batch of
sentences at once: every sentence takes a step, its most probable word
becomes its next input, and a sentence that has produced \EOS\ is finished
(it still takes the remaining steps with the others, and its words are not
kept). The loop ends when every sentence has finished or after $L$ words.
|out| gets $L$ word numbers per sentence and |out_len| their count; |attn|, if
not |NULL|, gets for each sentence an $L\times L$ block: row $t$ holds the
weights of output word $t$ on the source positions (averaged over the heads
of multi-head attention).
@<Batched model functions@>=
void bmodel_greedy(BModel *bm, const Example *ex, int n, int *out, int *out_len,
  float *attn)
{
  int L = bm->cfg.L;
  for (int at = 0; at < n; at += bm->B_cap) {
    int B = n - at < bm->B_cap ? n - at : bm->B_cap;
    Batch bt;
    batch_upload(bm, ex + at, NULL, B, &bt);
    @<Decode the |B| sentences from |at| on greedily@>@;
  }
}

@ Greedy decoding of a batch: the encoder once, then step after step on each sentence's own previous word, until every sentence has written \EOS\ or $L$ words.
@<Decode the |B| sentences from |at| on greedily@>=
const Backend *be = bm->be;
BActs *a = &bm->a;
int H = bm->cfg.H, V = bm->cfg.V_out, S = bt.S, nh = bm->heads, left = B;
int *tok = xcalloc((size_t) B, sizeof(int)), *len = out_len + at;
float *w = attn ? xcalloc((size_t) (B * nh * S), sizeof(float)) : NULL;
bm->step_p = 0.0f;
encoder_forward_b(bm, &bt, 0.0f);
be->copy(a->dec_h, a->enc_h + (size_t) S * B * H, (size_t) B * H * sizeof(float));
be->zero(a->ht, (size_t) B * H * sizeof(float));
attention_precompute(bm, B, S);
for (int b = 0; b < B; b++) len[b] = 0, tok[b] = SOS_TOKEN;
if (attn) memset(attn + (size_t) at * L * L, 0, (size_t) B * L * L * sizeof(float));
for (int t = 0; t < L && left > 0; t++) {
  @<Take decoding step $t$ for the batch, from the words in |tok|@>@;
  @<Keep each unfinished sentence's word and attention@>@;
}
free(tok);
free(w);

@ One step for the whole batch: the embeddings of its words, the GRU's input product, the decoder's step, the output layer and the argmax of each row.
@<Take decoding step $t$ for the batch, from the words in |tok|@>=
size_t tb = (size_t) t * B;
be->upload(a->dec_in + tb, tok, (size_t) B * sizeof(int));
decoder_logits_b(bm, B, S, t);
be->argmax(a->ids, a->logits, B, V);
be->download(tok, a->ids, (size_t) B * sizeof(int));
if (w) be->download(w, a->attw + tb * nh * S, (size_t) (B * nh * S) * sizeof(float));

@ A step of decoding without teacher forcing, which the beam below takes
too: the embeddings of the |B| words in row block |t| of |dec_in|, their
share of the GRU's input product, the step, and the logits of the |B| rows,
in |logits|.
@<Batched model helpers@>=
static void decoder_logits_b(BModel *bm, int B, int S, int t)
{
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int H = bm->cfg.H, V = bm->cfg.V_out, G = 3 * H;
  size_t tb = (size_t) t * B;
  be->embed(a->dec_e + tb * H, PT(P_DEC_EMB), a->dec_in + tb, B, H, 0.0f, 0);
  be->gemm(0, 1, B, G, H, 1.0f, a->dec_e + tb * H, H, PT(P_DEC_W_IH), 2 * H, 0.0f,
    a->dec_gi + tb * G, G);
  be->add_bias(a->dec_gi + tb * G, PT(P_DEC_B_IH), B, G);
  decoder_step_b(bm, B, S, t);
  be->gemm(0, 1, B, V, H, 1.0f, decoder_output(bm) + (tb + B) * H, H, PT(P_OUT_W), H, 0.0f,
    a->logits, V);
  be->add_bias(a->logits, PT(P_OUT_B), B, V);
}

@ A sentence that has finished is marked by a negative length; the weights of the heads are averaged into one row of the heatmap.
@<Keep each unfinished sentence's word and attention@>=
for (int b = 0; b < B; b++) {
  if (len[b] < 0) continue;
  if (w) {
    float *row = attn + ((size_t) (at + b) * L + t) * L;
    for (int h = 0; h < nh; h++)
      for (int s = 0; s < S; s++) row[s] += w[((size_t) b * nh + h) * S + s] / (float) nh;
  }
  if (tok[b] == EOS_TOKEN) {
    len[b] = -len[b] - 1;
    left--;
  } else out[(size_t) (at + b) * L + len[b]++] = tok[b];
  if (len[b] == L) len[b] = -L - 1, left--;
}
if (left == 0 || t == L - 1)
  for (int b = 0; b < B; b++) if (len[b] < 0) len[b] = -len[b] - 1;

@ @<Prototypes@>=
void bmodel_greedy(BModel *bm, const Example *ex, int n, int *out, int *out_len,
  float *attn);

@** Part III: decoding and evaluation.
The third part translates sentences the model never saw: greedy decoding
and the beam, for both models, BLEU, and a held-out split to measure it on.

@* Decoding as search, and how to score a translation.
@^beam search@>
@^decoding@>
The model gives a probability to every French sentence $y_1\dots y_n$:
$$P(y\mid x)=\prod_{t=1}^{n+1}P(y_t\mid y_{<t},x),\qquad y_{n+1}=\EOS,$$
and the translation we want is the most probable sentence. Greedy decoding
does not find it: it takes the best {\it word\/} at each step, and a good
first word can lead to a poor continuation. A worked example with a
vocabulary of two words $a$, $b$. The first step gives $P(a)=0.6$ and
$P(b)=0.4$, so greedy takes $a$. After $a$ the model is unsure:
$P(\EOS\mid a)=0.4$, $P(a\mid a)=P(b\mid a)=0.3$; after $b$ it is sure,
$P(\EOS\mid b)=0.9$. Greedy ends with ``$a$'' at $0.6\times0.4=0.24$; the
sentence ``$b$'' has $0.4\times0.9=0.36$. Every longer sentence that starts
with $a$ has at most $0.6\times0.3=0.18$. The exact search is hopeless (there
are $V^n$ sentences of $n$ words), but keeping a few candidates at each step
already finds ``$b$''. The tests below run this very example.
@^greedy decoding@>

This chapter adds that search, the {\it beam}, over an interface that any
model can answer (the notebook's model now; the batched models of Part~II
later), and the score by which translations are compared, BLEU. Both go into
their own file.
@s Decoder int
@s SeedDecoder int
@s Hypothesis int
@s BeamOptions int
@s Beam int
@s Candidate int
@s BleuStats int
@s BleuScore int

@(generated/decode.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
@<Decoding functions@>@;

@ A model takes part in the search through three functions. |encode| reads
|n_sent| source sentences (word numbers) and writes each one's first state;
|step| carries the search forward by one word: for |n| hypotheses, each with the index |sent| of its source sentence, the word
|prev| it produced last and a state of |state_floats| floats, it writes the
$n\times V$ log-probabilities of the next word, the $n$ new states and the
$n\times S$ attention weights on the $S$ positions of the source. Nothing
else of the model is visible to the search, so one call can carry the
hypotheses of many sentences at once, and a model with batched products
gets a whole batch per call. |release| frees the decoder. |model_decoder|
gives a model's decoder; the commands use nothing else, so a new kind of
model only has to provide its three functions.
@^step interface@>
@<Types@>=
typedef struct Decoder {
  int V, S, state_floats; /* vocabulary, attention positions, floats of a state */
  int sos, eos, unk; /* the special words; |unk| is $-1$ when there is none */
  void (*encode)(struct Decoder *d, const int *const *src, const int *len, int n_sent,
    float *init_state);
  void (*step)(struct Decoder *d, int n, const int *sent, const int *prev,
    const float *state, float *logp, float *new_state, float *attn);
  void (*release)(struct Decoder *d);
} Decoder;

@ For the notebook's model the state is the decoder's $h'$ ($H$ floats), the
source positions are the $L$ slots, and the step is |decoder_step_forward| of
the chapter on the decoder, written for |n| rows. Every linear layer and the
GRU compute each row exactly as they compute one, so a row of a batch gets
the same bits as greedy decoding's single row. The encoder runs first, one
sentence at a time, and leaves each sentence's matrix $O$ and its first
state $h_T$.
@<Type of the model@>=
typedef struct {
  Decoder d; /* first, so that a |Decoder *| is a |SeedDecoder *| */
  Model *m;
  float *enc_out; /* one $L\times H$ matrix $O$ per sentence */
  int cap; /* hypotheses the scratch rows hold */
  float *eh, *scores, *ec, *pre, *o, *gi, *gh, *logits;
  GruCache *cache;
} SeedDecoder;

@ The notebook's model has one kind of decoder; Part~II's batched model has
its own, |bmodel_decoder|, in the chapter on its beam. A vocabulary with \.{<UNK>} gives its number to the
search, for \.{--replace-unk}.
@<Decoding functions@>=
static void seed_encode(Decoder *d, const int *const *src, const int *len, int n_sent,
  float *init_state);
static void seed_step(Decoder *d, int n, const int *sent, const int *prev,
  const float *state, float *logp, float *new_state, float *attn);
static void seed_release(Decoder *d);

Decoder *model_decoder(Model *m)
{
  SeedDecoder *sd = xcalloc(1, sizeof *sd);
  sd->m = m;
  sd->d = (Decoder) {m->cfg.V_out, m->cfg.L, m->cfg.H, SOS_TOKEN, EOS_TOKEN,
    vocab_find(&m->vout, "<UNK>"), seed_encode, seed_step, seed_release};
  return &sd->d;
}

static void seed_release(Decoder *d)
{
  SeedDecoder *sd = (SeedDecoder *) d;
  void *all[] = {sd->enc_out, sd->eh, sd->scores, sd->ec, sd->pre, sd->o, sd->gi,
    sd->gh, sd->logits, sd->cache, sd};
  for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) free(all[k]);
}

@ The encoder reads the |n_sent| sentences one at a time.
@<Decoding functions@>=
static void seed_encode(Decoder *d, const int *const *src, const int *len, int n_sent,
  float *init_state)
{
  SeedDecoder *sd = (SeedDecoder *) d;
  Model *m = sd->m;
  size_t H = (size_t) m->cfg.H, LH = (size_t) m->cfg.L * H;
  free(sd->enc_out);
  sd->enc_out = xcalloc((size_t) n_sent * LH, sizeof(float));
  for (int k = 0; k < n_sent; k++) {
    encoder_forward(m, src[k], len[k]);
    memcpy(sd->enc_out + (size_t) k * LH, m->act.enc_out, LH * sizeof(float));
    memcpy(init_state + (size_t) k * H, m->act.enc_h + (size_t) len[k] * H, H * sizeof(float));
  }
}

@ The scratch rows grow with the number of hypotheses of a call.
@<Decoding functions@>=
static void seed_scratch(SeedDecoder *sd, int n)
{
  if (n <= sd->cap) return;
  size_t H = (size_t) sd->m->cfg.H, L = (size_t) sd->m->cfg.L, k = (size_t) n;
  float **rows[] = {&sd->eh, &sd->scores, &sd->ec, &sd->pre, &sd->o, &sd->gi, &sd->gh,
    &sd->logits};
  size_t width[] = {2 * H, L, 2 * H, H, H, 3 * H, 3 * H, (size_t) sd->m->cfg.V_out};
  for (size_t j = 0; j < sizeof width / sizeof width[0]; j++)
    *rows[j] = xrealloc(*rows[j], k * width[j] * sizeof(float));
  sd->cache = xrealloc(sd->cache, k * H * sizeof(GruCache));
  sd->cap = n;
}

@ The step: the equations of the decoder, |n| rows at a time. Only the
context needs each row's own sentence.
@<Decoding functions@>=
static void seed_step(Decoder *d, int n, const int *sent, const int *prev,
  const float *state, float *logp, float *new_state, float *attn)
{
  SeedDecoder *sd = (SeedDecoder *) d;
  const Tensors *P = &sd->m->params;
  int H = sd->m->cfg.H, L = sd->m->cfg.L, V = sd->m->cfg.V_out;
  seed_scratch(sd, n);
  for (int j = 0; j < n; j++) {
    float *eh = sd->eh + (size_t) j * 2 * H, *ec = sd->ec + (size_t) j * 2 * H;
    embedding_forward(eh, P->dec_emb, &prev[j], 1, H);
    memcpy(ec, eh, (size_t) H * sizeof(float));
    memcpy(eh + H, state + (size_t) j * H, (size_t) H * sizeof(float));
  }
  linear_forward(sd->scores, sd->eh, P->attn_w, P->attn_b, n, 2 * H, L);
  for (int j = 0; j < n; j++)
    attention_forward(attn + (size_t) j * L, sd->ec + (size_t) j * 2 * H + H,
      sd->scores + (size_t) j * L, sd->enc_out + (size_t) sent[j] * L * H, 1, L, H);
  @<Run the combine layer, the GRU and the output layer on the |n| rows@>@;
}

@ The rest of the step is Part I's decoder step for $n$ rows at once, then the output layer and its log-softmax, which a search needs at every step.
@<Run the combine layer, the GRU and the output layer on the |n| rows@>=
linear_forward(sd->pre, sd->ec, P->comb_w, P->comb_b, n, 2 * H, H);
relu_forward(sd->o, sd->pre, n * H);
linear_forward(sd->gi, sd->o, P->dec_w_ih, P->dec_b_ih, n, H, 3 * H);
linear_forward(sd->gh, state, P->dec_w_hh, P->dec_b_hh, n, H, 3 * H);
gru_cell_forward(new_state, sd->cache, sd->gi, sd->gh, state, n, H);
linear_forward(sd->logits, new_state, P->out_w, P->out_b, n, H, V);
log_softmax_forward(logp, sd->logits, n, V);

@ @<Prototypes@>=
Decoder *model_decoder(Model *m);

@* The beam.
@^beam search@>
Beam search keeps the $K$ most probable beginnings of a translation, the
{\it hypotheses}. At each step every hypothesis is extended by every word,
and of these $K\cdot V$ candidates the $K$ with the highest log-probability
$\sum_t\log P(y_t\mid y_{<t},x)$ survive. A candidate that ends with \EOS\
is a finished translation: it leaves the beam, and the beam is one smaller
from then on. So the search ends with exactly $K$ finished translations (or
with all there are, when fewer than $K$ sentences fit in the longest length
allowed, \.{--max-length}); a hypothesis that reaches that length finishes
without \EOS, as greedy decoding does. A beam larger than that number is an
exhaustive search, which the tests use. With $K=1$ this is greedy
decoding, word for word: the one candidate kept is the most probable word.
In the example above, $K=2$ keeps $a$ (0.6) and $b$ (0.4); the best
candidates of the second step are $b\,\EOS$ (0.36) and $a\,\EOS$ (0.24), and
both finish: the search returns ``$b$'' first.

Candidates with equal log-probabilities are ranked by the log-probability of
their last word (higher first), then by the rank of their hypothesis, then
by the word's number. The second rule makes $K=1$ agree with greedy's
|argmax| even when two sums round to the same double; the others make the
order deterministic.
@^ties@>
@<Types@>=
typedef struct {
  int len; /* words, \EOS\ not counted */
  int ended; /* 1 when the hypothesis ended with \EOS */
  double logprob, score; /* the sum of the log-probabilities; the ranking score */
  int *word; /* |len| words (room for \.{--max-length}) */
  float *attn; /* |len| rows of $S$ attention weights */
} Hypothesis;
typedef struct {
  int beam, max_length, n_best; /* $K$, the longest translation, results kept */
  int penalty; /* |LP_NONE|, |LP_AVG| or |LP_WU| */
  double alpha; /* Wu's $\alpha$ */
} BeamOptions;
enum { LP_NONE, LP_AVG, LP_WU };

@ Finished translations of different lengths are compared by their score.
Every word multiplies the probability by a number below one, so the plain
log-probability ({\it none\/}) prefers short translations. Dividing it by
the length $|Y|$ ({\it avg}, the mean log-probability of a word) removes that
bias, and Wu et al.~\cite{wu} divide by
$${\rm lp}(Y)=\left({5+|Y|\over6}\right)^\alpha,$$
which is 1 for one word and grows like $|Y|^\alpha$: $\alpha=0$ is {\it
none}, $\alpha=1$ is close to {\it avg}. Here $|Y|$ counts the \EOS, when
there is one: it is the number of steps whose probabilities were summed.
Within one step all hypotheses have the same length, so the penalty changes
which translations are returned first, never which survive a step.
@^length penalty@>
@<Decoding functions@>=
double length_penalty(const BeamOptions *o, int steps)
{
  if (o->penalty == LP_AVG) return (double) steps;
  if (o->penalty == LP_WU) return pow((5.0 + steps) / 6.0, o->alpha);
  return 1.0;
}

@ @<Prototypes@>=
double length_penalty(const BeamOptions *o, int steps);

@ What the beam buys, measured on sentences the model never saw. The
notebook's kind was trained for 4 epochs on the training split of the corpus
(made by the command \.{split} with seed 1), and it translated the 655 English sentences of the test split, scored against
their 1,050 references. It is a weak translator: its attention points at
positions, not words, and 139 of the test sentences have a word that the
training split never had, which this kind cannot read (they count as empty
translations). Still, beam 5 adds about 2 BLEU to greedy decoding and finds
five exact translations where greedy finds one; it costs 6 to 8 times the
time, since it runs five hypotheses a step and goes on until all five have
finished. The command \.{make} \.{decode-table} wrote the table:
\listing{out-decode.txt}
The ratio column (the translations' length over the references') shows the
length penalty at work. Greedy's translations are 2 per cent too long. The
beam without a penalty prefers translations that finished early, and makes
them 8 per cent too short; dividing by the length (\.{avg}) brings the
ratio back to 0.964, Wu's penalty with $\alpha=0.6$ to 0.932. Here the three
scores agree within 0.03: what the short translations lose in brevity
penalty they win back in precision. The kit's default is Wu's penalty with
$\alpha=0.6$, the value of Wu et al.~\cite{wu}; the content-based kinds of
Part~II are where it should be tuned.
@^length penalty@>

@ The search works on all sentences at once. Each sentence has its own
beam, and one call of |step| carries the live hypotheses of every sentence.
A hypothesis in flight keeps its words, its attention rows, its state and
its log-probability; two sets of these arrays alternate, the old beam and
the new one.
@<Decoding functions@>=
typedef struct {
  int n; /* live hypotheses */
  int *sent, *prev, *len; /* per hypothesis */
  double *logprob;
  int *word; /* |max_length| per hypothesis */
  float *attn, *state; /* $|max_length|\times S$ and |state_floats| per hypothesis */
} Beam;

@ A beam's arrays are allocated once, at their largest (|cap| hypotheses of at most |M| words, each with its attention weights), so that a step of the search allocates nothing.
@<Decoding functions@>=
static void beam_alloc(Beam *b, const Decoder *d, int cap, int M)
{
  size_t c = (size_t) cap;
  b->n = 0;
  b->sent = xcalloc(c, sizeof(int));
  b->prev = xcalloc(c, sizeof(int));
  b->len = xcalloc(c, sizeof(int));
  b->logprob = xcalloc(c, sizeof(double));
  b->word = xcalloc(c * (size_t) M, sizeof(int));
  b->attn = xcalloc(c * (size_t) M * (size_t) d->S, sizeof(float));
  b->state = xcalloc(c * (size_t) d->state_floats, sizeof(float));
}

static void beam_free(Beam *b)
{
  free(b->sent); free(b->prev); free(b->len); free(b->logprob);
  free(b->word); free(b->attn); free(b->state);
}

@ A candidate is a hypothesis of the old beam, a word and the sums.
|candidate_before| is the order of the ranking rules above.
@<Decoding functions@>=
typedef struct {
  double logprob;
  float last; /* the log-probability of the word */
  int hyp, word;
} Candidate;

static int candidate_before(const Candidate *a, const Candidate *b)
{
  if (a->logprob != b->logprob) return a->logprob > b->logprob;
  if (a->last != b->last) return a->last > b->last;
  if (a->hyp != b->hyp) return a->hyp < b->hyp;
  return a->word < b->word;
}

@ The $k$ best candidates of one sentence are kept in a sorted array: a
candidate better than the last one kept moves down to its place. $k$ is at
most $K$, and $K\cdot V$ candidates are looked at, so a step of one
sentence costs about $KV$ comparisons, small beside the model's $KVH$
multiply-adds of the output layer.
@<Decoding functions@>=
static int best_candidates(const Beam *b, int first, int count, const float *logp, int V,
  int k, Candidate *best)
{
  int n = 0;
  for (int h = first; h < first + count; h++)
    for (int v = 0; v < V; v++) {
      float lp = logp[(size_t) h * V + v];
      Candidate c = {b->logprob[h] + (double) lp, lp, h, v};
      if (n == k && !candidate_before(&c, &best[k - 1])) continue;
      int i = n < k ? n++ : k - 1;
      while (i > 0 && candidate_before(&c, &best[i - 1])) best[i] = best[i - 1], i--;
      best[i] = c;
    }
  return n;
}

@ |beam_search| translates |n_sent| sentences whose first states are in
|init|, and writes for each sentence its |o->n_best| best translations in
order into |out| (|o->n_best| entries a sentence, their |word| and |attn|
allocated here; |hypotheses_free| gives them back), and how many it found
into |found|.
@<Decoding functions@>=
void beam_search(Decoder *d, int n_sent, const float *init, const BeamOptions *o,
  Hypothesis *out, int *found)
{
  int K = o->beam, M = o->max_length, V = d->V, S = d->S, F = d->state_floats;
  int cap = n_sent * K;
  @<Allocate the two beams and the work arrays of |beam_search|@>@;
  @<Start one hypothesis per sentence, at \SOS\ with its first state@>@;
  for (int t = 0; t < M && cur.n > 0; t++) {
    d->step(d, cur.n, cur.sent, cur.prev, cur.state, logp, state, attn);
    next.n = 0;
    for (int h = 0; h < cur.n;) @<Choose the survivors of sentence |cur.sent[h]|,
      finishing those that end, and move |h| past its hypotheses@>@;
    Beam swap = cur; cur = next; next = swap;
  }
  @<Finish the hypotheses left at the longest length@>@;
  @<Sort each sentence's translations by score and copy the best to |out|@>@;
  beam_free(&cur); beam_free(&next);
  free(logp); free(state); free(attn); free(best); free(done); free(n_done);
}

@ A step reads the beam |cur| and fills the beam |next|, and then the two
trade places. Each holds at most $K$ hypotheses a sentence, |cap| in all. A
step's arrays have a row for each of them: $V$ log-probabilities, the new
state of |F| numbers and $S$ attention weights. The finished translations
wait in |done|, |n_done[s]| of them for sentence |s|.
@<Allocate the two beams and the work arrays of |beam_search|@>=
Beam cur, next;
beam_alloc(&cur, d, cap, M);
beam_alloc(&next, d, cap, M);
float *logp = xcalloc((size_t) cap * (size_t) V, sizeof(float));
float *state = xcalloc((size_t) cap * (size_t) F, sizeof(float));
float *attn = xcalloc((size_t) cap * (size_t) S, sizeof(float));
Candidate *best = xcalloc((size_t) K, sizeof(Candidate));
Hypothesis *done = xcalloc((size_t) cap, sizeof(Hypothesis));
int *n_done = xcalloc((size_t) n_sent, sizeof(int));

@ The search starts from one empty hypothesis per sentence: log-probability 0, the previous word \SOS, and the encoder's final state.
@<Start one hypothesis per sentence...@>=
for (int s = 0; s < n_sent; s++) {
  cur.sent[s] = s;
  cur.prev[s] = d->sos;
  cur.len[s] = 0;
  cur.logprob[s] = 0.0;
  memcpy(cur.state + (size_t) s * F, init + (size_t) s * F, (size_t) F * sizeof(float));
}
cur.n = n_sent;

@ The hypotheses of a sentence are next to each other in the beam, and stay
so. A sentence with $f$ finished translations keeps $K-f$ candidates.
@<Choose the survivors of sentence...@>=
{
  int s = cur.sent[h], first = h;
  while (h < cur.n && cur.sent[h] == s) h++;
  int nb = best_candidates(&cur, first, h - first, logp, V, K - n_done[s], best);
  for (int r = 0; r < nb; r++) {
    const Candidate *c = &best[r];
    if (c->word == d->eos) @<Finish candidate |c| with \EOS@>@;
    else @<Append candidate |c| to the new beam@>@;
  }
}

@ A finished translation owns copies of its words and attention rows; \EOS\
itself is not among its words.
@<Finish candidate |c| with \EOS@>=
{
  int p = c->hyp, L = cur.len[p];
  Hypothesis *y = &done[(size_t) s * K + n_done[s]++];
  y->len = L;
  y->ended = 1;
  y->logprob = c->logprob;
  y->word = xcalloc((size_t) (L ? L : 1), sizeof(int));
  y->attn = xcalloc((size_t) (L ? L : 1) * (size_t) S, sizeof(float));
  memcpy(y->word, cur.word + (size_t) p * M, (size_t) L * sizeof(int));
  memcpy(y->attn, cur.attn + (size_t) p * M * S, (size_t) L * S * sizeof(float));
}

@ A candidate becomes a hypothesis of the new beam: its parent's words and attention rows are copied, and its own word is added.
@<Append candidate |c| to the new beam@>=
{
  int p = c->hyp, q = next.n++, L = cur.len[p];
  next.sent[q] = s;
  next.prev[q] = c->word;
  next.len[q] = L + 1;
  next.logprob[q] = c->logprob;
  memcpy(next.word + (size_t) q * M, cur.word + (size_t) p * M, (size_t) L * sizeof(int));
  next.word[(size_t) q * M + L] = c->word;
  memcpy(next.attn + (size_t) q * M * S, cur.attn + (size_t) p * M * S,
    (size_t) L * S * sizeof(float));
  memcpy(next.attn + ((size_t) q * M + L) * S, attn + (size_t) p * S, (size_t) S * sizeof(float));
  memcpy(next.state + (size_t) q * F, state + (size_t) p * F, (size_t) F * sizeof(float));
}

@ Hypotheses still open at the longest length are finished as they are, marked as not ended, so that every sentence gets a translation.
@<Finish the hypotheses left at the longest length@>=
for (int h = 0; h < cur.n; h++) {
  int s = cur.sent[h], L = cur.len[h];
  Hypothesis *y = &done[(size_t) s * K + n_done[s]++];
  y->len = L;
  y->ended = 0;
  y->logprob = cur.logprob[h];
  y->word = xcalloc((size_t) (L ? L : 1), sizeof(int));
  y->attn = xcalloc((size_t) (L ? L : 1) * (size_t) S, sizeof(float));
  memcpy(y->word, cur.word + (size_t) h * M, (size_t) L * sizeof(int));
  memcpy(y->attn, cur.attn + (size_t) h * M * S, (size_t) L * S * sizeof(float));
}

@ The sort is an insertion sort, stable, so equal scores keep the order in
which the translations finished. The translations not returned are freed.
@<Sort each sentence's translations by score and copy the best to |out|@>=
for (int s = 0; s < n_sent; s++) {
  Hypothesis *y = done + (size_t) s * K;
  for (int i = 0; i < n_done[s]; i++) {
    y[i].score = y[i].logprob / length_penalty(o, y[i].len + y[i].ended);
    Hypothesis x = y[i];
    int j = i;
    while (j > 0 && y[j - 1].score < x.score) y[j] = y[j - 1], j--;
    y[j] = x;
  }
  found[s] = n_done[s] < o->n_best ? n_done[s] : o->n_best;
  for (int i = 0; i < n_done[s]; i++)
    if (i < found[s]) out[(size_t) s * o->n_best + i] = y[i];
    else free(y[i].word), free(y[i].attn);
}

@ Each finished hypothesis owns its words and its weights.
@<Decoding functions@>=
void hypotheses_free(Hypothesis *h, int n)
{
  for (int k = 0; k < n; k++) {
    free(h[k].word);
    free(h[k].attn);
    h[k].word = NULL;
    h[k].attn = NULL;
  }
}

@ @<Prototypes@>=
void beam_search(Decoder *d, int n_sent, const float *init, const BeamOptions *o,
  Hypothesis *out, int *found);
void hypotheses_free(Hypothesis *h, int n);

@ With \.{--replace-unk}, a \.{<UNK>} in a translation is replaced by the
source word that the step producing it attended to most (OpenNMT does the
same): names and numbers unknown to the vocabulary are often copied
unchanged. Only the |src_len| real positions take part. |hypothesis_words|
returns the translation's words as one string.
@^unknown word@>
@<Decoding functions@>=
char *hypothesis_words(const Decoder *d, const Vocab *vout, const Hypothesis *y,
  char *const *src_words, int src_len, int replace_unk)
{
  size_t len = 1;
  const char **w = xcalloc((size_t) (y->len ? y->len : 1), sizeof *w);
  for (int t = 0; t < y->len; t++) {
    w[t] = vout->word[y->word[t]];
    if (replace_unk && y->word[t] == d->unk && src_len > 0) {
      const float *a = y->attn + (size_t) t * d->S;
      w[t] = src_words[argmax(a, src_len < d->S ? src_len : d->S)];
    }
    len += strlen(w[t]) + 1;
  }
  char *s = xcalloc(len, 1), *p = s;
  for (int t = 0; t < y->len; t++) p += sprintf(p, t ? " %s" : "%s", w[t]);
  free(w);
  return s;
}

@ @<Prototypes@>=
char *hypothesis_words(const Decoder *d, const Vocab *vout, const Hypothesis *y,
  char *const *src_words, int src_len, int replace_unk);

@* BLEU.
@^BLEU@>
A translation is judged against one or more human {\it references}. BLEU
(Papineni et al.~\cite{papineni}) measures how many of the translation's word
sequences, its $n$-grams for $n=1\dots4$, occur in a reference, over a whole
test set (a {\it corpus\/}) at once. Take the candidate ``the the the cat''
and the reference ``the cat sat''. Four unigrams; ``the'' occurs three times
in the candidate but once in the reference, so it is {\it clipped\/} to one
match, and ``cat'' matches once: $p_1=2/4$. Of the bigrams ``the the'',
``the the'', ``the cat'' only ``the cat'' matches: $p_2=1/3$. In general
$$p_n={\sum_{\rm sentences}\sum_{g}\min\bigl(c(g),\max_r c_r(g)\bigr)\over
\sum_{\rm sentences}\hbox{(number of $n$-grams of the candidate)}},$$
where $g$ runs over the distinct $n$-grams of a candidate, $c(g)$ counts $g$
in the candidate and $c_r(g)$ in reference $r$. Without the clipping, ``the
the the the'' would be a perfect unigram match for any reference with
``the''.
@^clipped precision@>

Precision alone rewards saying little: ``the cat'' has $p_1=p_2=1$. So BLEU
multiplies by a {\it brevity penalty}: with $c$ the total length of the
candidates and $r$ the total length of the references closest in length to
each candidate (the shorter one on a tie),
$${\rm BP}=\cases{1&if $c>r$,\cr e^{1-r/c}&if $c\le r$,\cr}\qquad
{\rm BLEU}=100\cdot{\rm BP}\cdot\exp\Bigl({1\over4}\sum_{n=1}^4\log p_n\Bigr).$$
For the one-sentence corpus above: $p_3=0/2$, so BLEU is 0; a single order
without a match makes the geometric mean 0. That is why BLEU is a corpus
score: a sentence of three words has no 4-gram at all. (Smoothed variants
exist for single sentences; the kit has none.) For ``the cat'' against
``the cat sat'', $c=2$, $r=3$, ${\rm BP}=e^{-1/2}=0.607$.
A whole example, worked by hand: the candidate ``le chat est sur le tapis''
against the reference ``le chat est sur la table''. Of the six unigrams,
``le'' occurs twice but once in the reference, and ``tapis'' not at all:
$p_1=4/6$. Bigrams: ``le chat'', ``chat est'', ``est sur'' of five,
$p_2=3/5$; trigrams $p_3=2/4$; 4-grams, only ``le chat est sur'', $p_4=1/3$.
Both have six words, ${\rm BP}=1$, and
${\rm BLEU}=100\,(4/6\cdot3/5\cdot2/4\cdot1/3)^{1/4}=100\cdot15^{-1/4}=50.81$.

What BLEU misses: it knows no synonyms (``m\'edecin'' for ``docteur'' scores
as badly as a wrong word), it hardly sees word order beyond four words, and
one reference is one way of many to say a thing. It is good for comparing
systems on the same test set, and poor for judging one sentence.
@^BLEU, limits of@>

@ The counts of a corpus are summed before any division, so a corpus is a
running total. The scores follow \.{sacreBLEU}'s conventions, which are
Papineni's: the precisions are percentages, and an order with no $n$-gram in
the whole corpus counts as no match. (\.{nltk}'s |corpus_bleu| counts a
candidate shorter than $n$ words as having one $n$-gram; otherwise the two
agree, which the tests check.)
@<Types@>=
typedef struct {
  long match[4], total[4]; /* clipped matches and $n$-grams, $n=1\dots4$ */
  long hyp_len, ref_len; /* $c$ and $r$ */
  long sentences;
} BleuStats;
typedef struct {
  double bleu, p[4], bp, ratio; /* BLEU and $p_n$ in per cent, BP, $c/r$ */
} BleuScore;

@ Sentences are arrays of word numbers (any numbering: |words_intern| below
gives the words of a text theirs). |ngram_count| counts the places where the
$n$ words at |g| occur in the |len| words of |s|.
@<Decoding functions@>=
int ngram_count(const int *s, int len, const int *g, int n)
{
  int c = 0;
  for (int i = 0; i + n <= len; i++) c += memcmp(s + i, g, (size_t) n * sizeof(int)) == 0;
  return c;
}

void ngram_matches(const int *hyp, int h, const int *const *refs, const int *ref_len,
  int n_refs, int n, long *match, long *total)
{
  if (h >= n) *total += h - n + 1;
  @<Add to |*match| the clipped matches of the |n|-grams of |hyp|@>@;
}

@ Each distinct $n$-gram is counted at its first place in the candidate: an
$n$-gram that occurs earlier is skipped. Sentences are short (a few dozen
words), so counting by scanning is fast enough: a sentence of $h$ words
costs about $h^2$ comparisons for each reference.
@<Add to |*match| the clipped matches of the |n|-grams of |hyp|@>=
for (int i = 0; i + n <= h; i++) {
  if (ngram_count(hyp, i + n - 1, hyp + i, n) > 0) continue;
  int c = ngram_count(hyp, h, hyp + i, n), most = 0;
  for (int r = 0; r < n_refs; r++) {
    int cr = ngram_count(refs[r], ref_len[r], hyp + i, n);
    if (cr > most) most = cr;
  }
  *match += c < most ? c : most;
}

@ Exercise~12 (medium, 6 points). Write the section above. Add to the
count |*match| the clipped count $\min\bigl(c(g),\max_r c_r(g)\bigr)$ of
every distinct $n$-gram $g$ of the candidate |hyp|, which has |h| words;
there are |n_refs| references, and reference $r$ is |refs[r]|, of
|ref_len[r]| words. The function |ngram_count| is given. The
tests check hand-worked sentences (the example of this section among them),
repeated $n$-grams, candidates shorter than $n$, several references, and
random sentences against a count written in the judge.
@^exercises@>

@ A sentence adds its counts, its length and the length of its closest
reference.
@<Decoding functions@>=
void bleu_add(BleuStats *b, const int *hyp, int h, const int *const *refs,
  const int *ref_len, int n_refs)
{
  for (int n = 1; n <= 4; n++)
    ngram_matches(hyp, h, refs, ref_len, n_refs, n, &b->match[n - 1], &b->total[n - 1]);
  int closest = n_refs > 0 ? ref_len[0] : 0;
  for (int r = 1; r < n_refs; r++) {
    int d = abs(ref_len[r] - h), dc = abs(closest - h);
    if (d < dc || (d == dc && ref_len[r] < closest)) closest = ref_len[r];
  }
  b->hyp_len += h;
  b->ref_len += closest;
  b->sentences++;
}

@ The score is made from the counts alone, so the counts of many sentences, added up, give the corpus's score.
@<Decoding functions@>=
BleuScore bleu_score(const BleuStats *b)
{
  BleuScore s = {0};
  double log_sum = 0.0;
  int zero = 0;
  for (int n = 0; n < 4; n++) {
    s.p[n] = b->total[n] ? 100.0 * (double) b->match[n] / (double) b->total[n] : 0.0;
    if (b->match[n] == 0) zero = 1;
    else log_sum += log((double) b->match[n] / (double) b->total[n]);
  }
  s.ratio = b->ref_len ? (double) b->hyp_len / (double) b->ref_len : 0.0;
  s.bp = b->hyp_len >= b->ref_len ? 1.0
    : b->hyp_len > 0 ? exp(1.0 - (double) b->ref_len / (double) b->hyp_len) : 0.0;
  s.bleu = zero ? 0.0 : 100.0 * s.bp * exp(log_sum / 4.0);
  return s;
}

@ The summary line is \.{sacreBLEU}'s, so that a number from the kit reads
like a published one:
$$\hbox{\eighttt BLEU = 34.21 62.1/40.3/28.1/19.9 (BP = 0.973 ratio = 0.974
hyp\_len = 9810 ref\_len = 10071)}$$
@<Decoding functions@>=
void bleu_format(const BleuStats *b, char *buf, size_t size)
{
  BleuScore s = bleu_score(b);
  snprintf(buf, size, "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f "
    "hyp_len = %ld ref_len = %ld)", s.bleu, s.p[0], s.p[1], s.p[2], s.p[3], s.bp, s.ratio,
    b->hyp_len, b->ref_len);
}

@ The words of a text get numbers from a vocabulary of their own, which
grows as new words come: the translation's and the references' words must
share one numbering. |words_intern| splits a normalised sentence at its
spaces and returns the number of words, their numbers in |*ids| (allocated
here).
@<Decoding functions@>=
int words_intern(Vocab *v, const char *s, int **ids)
{
  int n = 0, cap = 8;
  int *w = xcalloc((size_t) cap, sizeof(int));
  while (*s) {
    size_t k = strcspn(s, " ");
    if (k > 0) {
      char *word = xcalloc(k + 1, 1);
      memcpy(word, s, k);
      if (n == cap) w = xrealloc(w, (size_t) (cap *= 2) * sizeof(int));
      w[n++] = vocab_add(v, word);
      free(word);
    }
    s += k;
    if (*s == ' ') s++;
  }
  *ids = w;
  return n;
}

@ @<Prototypes@>=
int ngram_count(const int *s, int len, const int *g, int n);
void ngram_matches(const int *hyp, int h, const int *const *refs, const int *ref_len,
  int n_refs, int n, long *match, long *total);
void bleu_add(BleuStats *b, const int *hyp, int h, const int *const *refs,
  const int *ref_len, int n_refs);
BleuScore bleu_score(const BleuStats *b);
void bleu_format(const BleuStats *b, char *buf, size_t size);
int words_intern(Vocab *v, const char *s, int **ids);

@* Held-out sentences.
@^held-out split@>
A test set says how a model does on sentences it has never seen only if
it has really never seen them. The corpus repeats English sentences with
different French ones (``i m tired'' has several translations), so a
split of the pairs would put most test sentences into training as well.
The unit of a split is therefore the English sentence: |pairs_group_sources|
gives each pair the number of its English sentence, the sentences numbered
in the order in which they first appear, and says how many there are. It
sorts the pair numbers by sentence (and by number within a sentence), so
the sentences of a run of equal ones come together; the first pair of a
run is the one that appears first.
@<Decoding functions@>=
static const PairList *sorted_pairs;
static int by_source(const void *a, const void *b)
{
  int i = *(const int *) a, j = *(const int *) b;
  int c = strcmp(sorted_pairs->pair[i].src, sorted_pairs->pair[j].src);
  return c ? c : (i > j) - (i < j);
}

int *pairs_group_sources(const PairList *pl, int *n_groups)
{
  int n = pl->n, *order = xcalloc((size_t) n, sizeof(int)), *group = xcalloc((size_t) n, sizeof(int));
  int *rep = xcalloc((size_t) n, sizeof(int)), g = 0;
  for (int k = 0; k < n; k++) order[k] = k;
  sorted_pairs = pl;
  qsort(order, (size_t) n, sizeof(int), by_source);
  for (int k = 0; k < n; k++)
    rep[order[k]] = k > 0 && strcmp(pl->pair[order[k]].src, pl->pair[order[k - 1]].src) == 0
      ? rep[order[k - 1]] : order[k];
  for (int k = 0; k < n; k++) group[k] = rep[k] == k ? g++ : group[rep[k]];
  free(order);
  free(rep);
  *n_groups = g;
  return group;
}

@ |pairs_split| shuffles the sentences (Fisher and Yates, with |erand48|
seeded as the initialisation is) and gives the first share |test| of them
to the test set (part 2), the next share |valid| to the validation set
(part 1) and the rest to training (part 0). |part| gets each pair's part,
and |counts[p]| the sentences and pairs of part |p|.
@<Decoding functions@>=
int pairs_split(const PairList *pl, double test, double valid, uint64_t seed, int *part,
  int counts[3][2])
{
  int G, *group = pairs_group_sources(pl, &G), *perm = xcalloc((size_t) G, sizeof(int));
  int n_test = (int) floor(test * G + 0.5), n_valid = (int) floor(valid * G + 0.5);
  if (n_test + n_valid >= G) {
    free(group);
    free(perm);
    return kit_fail("the test and validation shares take all %d English sentences", G);
  }
  unsigned short xs[3] = {(unsigned short) (0x330e ^ (seed >> 32)), (unsigned short) seed,
    (unsigned short) (seed >> 16)};
  for (int k = 0; k < G; k++) perm[k] = k;
  for (int k = G - 1; k > 0; k--) {
    int j = (int) (erand48(xs) * (k + 1)), t = perm[k];
    perm[k] = perm[j], perm[j] = t;
  }
  @<Give each pair the part of its sentence, and count@>@;
  free(group);
  free(perm);
  return 0;
}

@ All the pairs of one English sentence go to the same part, so that no test sentence is seen in training.
@<Give each pair the part of its sentence...@>=
int *gpart = xcalloc((size_t) G, sizeof(int));
for (int k = 0; k < G; k++) gpart[perm[k]] = k < n_test ? 2 : k < n_test + n_valid ? 1 : 0;
memset(counts, 0, 3 * sizeof counts[0]);
for (int g = 0; g < G; g++) counts[gpart[g]][0]++;
for (int k = 0; k < pl->n; k++) part[k] = gpart[group[k]], counts[part[k]][1]++;
free(gpart);

@ @<Prototypes@>=
int *pairs_group_sources(const PairList *pl, int *n_groups);
int pairs_split(const PairList *pl, double test, double valid, uint64_t seed, int *part,
  int counts[3][2]);

@* The beam for the batched model.
@^beam search@>
@^step interface@>
The beam search of the chapter on decoding asks a model for three things:
encode a few sentences, take a step for $n$ hypotheses, release. The batched
model answers with its own functions: |encode| runs |encoder_forward_b| and
|attention_precompute| on up to |B_cap| sentences at a time, and |step| runs
|decoder_logits_b|, the very step of greedy decoding, on up to |B_cap|
hypotheses at a time, each hypothesis a row of the batch. So a beam of $K$
over $B$ sentences is one batch of $KB$ rows, and nothing of the model's
arithmetic is written twice.

What the step needs besides the hypotheses' states is what the attention
reads: the keys (and the values, which are the keys except in multi-head
attention), Bahdanau's $U_ak_i+b_u$, multi-head attention's projected keys
and values, and the source's length for the mask. These belong to the
sentence, not to the hypothesis. The decoder keeps them for every encoded
sentence, time-major over all |N| sentences (row $sN+g$ is position $s$ of
sentence $g$), and at each step gathers them into the batch's order, row
$sn+h$ for hypothesis $h$ of sentence |sent[h]|. The state of a hypothesis is
$s$ ($H$ numbers) for Bahdanau and $[s;\tilde h]$ ($2H$) for the kinds with
input feeding. The positions are always $L$: a position beyond a sentence
gets weight exactly 0 from the masked softmax, and adds an exact 0 to the
context, so the numbers are those of a batch padded to its own longest
sentence.
@^gather@>
@s BDecoder int
@<Per-element math shared by CPU and GPU@>=
KIT_HD static inline void kb_gather_keys(int r, int j, float *dst, const float *src,
  const int *sent, int n, int N, int H)
{
  int s = r / n, h = r % n;
  dst[(size_t) r * H + j] = src[((size_t) s * N + sent[h]) * H + j];
}

@ The beam's one kernel of its own gathers, for each hypothesis, the keys of its sentence.
@<Kernels of the backend interface@>=
void (*gather_keys)(float *dst, const float *src, const int *sent, int n, int S, int N,
  int H);

@ Two words are never a translation's: \.{<PAD>} and \SOS. Greedy decoding
takes the most probable word as it is; the beam gives these two the
log-probability $-\infty$, so that no hypothesis can take them. A trained
model gives them almost nothing anyway (they never occur as targets), and
on such a model the beam of 1 is greedy decoding word for word, which the
tests check for every kind.
@<Type of the batched decoder@>=
typedef struct {
  Decoder d; /* first, so that a |Decoder *| is a |BDecoder *| */
  BModel *bm;
  int n_sent, *len; /* the sentences encoded, and their lengths (host) */
  float *mem[2]; /* on the backend: $L\times N$ rows of $H$ each, what the step reads */
  int *dsent; /* on the backend: the sentence of each hypothesis of a step */
  int *h_len; /* host scratch, |B_cap| of each */
  float *h_s, *h_x, *h_w;
} BDecoder;

@ Which of the batch's arrays the step reads: the keys for the context (and
for Luong's scores), and Bahdanau's key products, or multi-head attention's
projected keys and values.
@<Batched model helpers@>=
@<Type of the batched decoder@>@;
static void bdecoder_arrays(BModel *bm, float **arr[2])
{
  BActs *a = &bm->a;
  arr[0] = bm->kind == KIND_MULTIHEAD ? &a->kp : &a->keys;
  arr[1] = bm->kind == KIND_BAHDANAU ? &a->uk : bm->kind == KIND_MULTIHEAD ? &a->vp : NULL;
}

@ The sentences come as word numbers that end with \EOS, as Part~II's examples
do. Each chunk of |B_cap| sentences is a batch for the encoder; its arrays are
copied, one position at a time, to their place among all |N| sentences, and
the first states go to |init|, with $\tilde h_0=0$.
@<Batched model functions@>=
static void bdec_encode(Decoder *d, const int *const *src, const int *len, int n_sent,
  float *init)
{
  BDecoder *bd = (BDecoder *) d;
  BModel *bm = bd->bm;
  const Backend *be = bm->be;
  int H = bm->cfg.H, L = bm->cfg.L, F = d->state_floats, N = n_sent;
  float **arr[2];
  bdecoder_arrays(bm, arr);
  for (int k = 0; k < 2; k++) {
    be->release(bd->mem[k]);
    bd->mem[k] = arr[k] ? dev(bm, (size_t) L * N * H, sizeof(float)) : NULL;
  }
  bd->len = xrealloc(bd->len, (size_t) (N ? N : 1) * sizeof(int));
  memcpy(bd->len, len, (size_t) N * sizeof(int));
  bd->n_sent = N;
  memset(init, 0, (size_t) N * F * sizeof(float));
  @<Encode the sentences |B_cap| at a time, keeping their arrays and first states@>@;
}

@ The sentences are encoded in batches of the model's largest size, and each one's keys and final state are kept for the search.
@<Encode the sentences |B_cap| at a time...@>=
Example *ex = xcalloc((size_t) bm->B_cap, sizeof *ex);
float *h0 = xcalloc((size_t) bm->B_cap * H, sizeof(float));
for (int at = 0; at < N; at += bm->B_cap) {
  int B = N - at < bm->B_cap ? N - at : bm->B_cap;
  for (int b = 0; b < B; b++) {
    memcpy(ex[b].src, src[at + b], (size_t) len[at + b] * sizeof(int));
    ex[b].src_len = len[at + b];
    ex[b].tgt[0] = EOS_TOKEN, ex[b].tgt_len = 1;
  }
  Batch bt;
  batch_upload(bm, ex, NULL, B, &bt);
  bm->step_p = 0.0f;
  encoder_forward_b(bm, &bt, 0.0f);
  attention_precompute(bm, B, bt.S);
  for (int k = 0; k < 2; k++)
    for (int s = 0; arr[k] && s < bt.S; s++)
      be->copy(bd->mem[k] + ((size_t) s * N + at) * H, *arr[k] + (size_t) s * B * H,
        (size_t) B * H * sizeof(float));
  be->download(h0, bm->a.enc_h + (size_t) bt.S * B * H, (size_t) B * H * sizeof(float));
  for (int b = 0; b < B; b++)
    memcpy(init + (size_t) (at + b) * F, h0 + (size_t) b * H, (size_t) H * sizeof(float));
}
free(ex);
free(h0);

@ A step of more than |B_cap| hypotheses is taken |B_cap| rows at a time;
the rows do not depend on each other.
@<Batched model functions@>=
static void bdec_rows(BDecoder *bd, int n, const int *sent, const int *prev,
  const float *state, float *logp, float *new_state, float *attn);
static void bdec_step(Decoder *d, int n, const int *sent, const int *prev,
  const float *state, float *logp, float *new_state, float *attn)
{
  BDecoder *bd = (BDecoder *) d;
  int C = bd->bm->B_cap, F = d->state_floats, V = d->V, S = d->S;
  for (int at = 0; at < n; at += C)
    bdec_rows(bd, n - at < C ? n - at : C, sent + at, prev + at, state + (size_t) at * F,
      logp + (size_t) at * V, new_state + (size_t) at * F, attn + (size_t) at * S);
}

@ The rows: the lengths and the sentences' arrays in the hypotheses' order,
the states into row block 0 of |dec_h| (and of |ht|), the words into
|dec_in|, one step, and back: the log-probabilities, the new states and the
weights, averaged over the heads as greedy decoding does.
@<Batched model functions@>=
static void bdec_rows(BDecoder *bd, int n, const int *sent, const int *prev,
  const float *state, float *logp, float *new_state, float *attn)
{
  BModel *bm = bd->bm;
  const Backend *be = bm->be;
  BActs *a = &bm->a;
  int H = bm->cfg.H, L = bm->cfg.L, V = bm->cfg.V_out, F = bd->d.state_floats;
  float **arr[2];
  bdecoder_arrays(bm, arr);
  @<Send the rows' lengths, arrays, states and words to the backend@>@;
  decoder_logits_b(bm, n, L, 0);
  be->log_softmax(a->logits, n, V);
  be->download(logp, a->logits, (size_t) n * V * sizeof(float));
  for (int j = 0; j < n; j++)
    logp[(size_t) j * V + PAD_TOKEN] = logp[(size_t) j * V + SOS_TOKEN] = -INFINITY;
  @<Bring back the rows' new states and attention weights@>@;
}

@ Each hypothesis row carries its sentence's length and its own state (and, for the kinds with input feeding, its attentional state) to the backend.
@<Send the rows' lengths, arrays, states and words...@>=
for (int j = 0; j < n; j++) {
  bd->h_len[j] = bd->len[sent[j]];
  memcpy(bd->h_s + (size_t) j * H, state + (size_t) j * F, (size_t) H * sizeof(float));
  if (F > H)
    memcpy(bd->h_x + (size_t) j * H, state + (size_t) j * F + H, (size_t) H * sizeof(float));
}
be->upload(a->src_len, bd->h_len, (size_t) n * sizeof(int));
be->upload(bd->dsent, sent, (size_t) n * sizeof(int));
for (int k = 0; k < 2; k++)
  if (arr[k]) be->gather_keys(*arr[k], bd->mem[k], bd->dsent, n, L, bd->n_sent, H);
be->upload(a->dec_h, bd->h_s, (size_t) n * H * sizeof(float));
if (F > H) be->upload(a->ht, bd->h_x, (size_t) n * H * sizeof(float));
be->upload(a->dec_in, prev, (size_t) n * sizeof(int));

@ The new states and the weights come back to the host, where the beam keeps its hypotheses.
@<Bring back the rows' new states and attention weights@>=
int nh = bm->heads;
be->download(bd->h_s, a->dec_h + (size_t) n * H, (size_t) n * H * sizeof(float));
if (F > H) be->download(bd->h_x, a->ht + (size_t) n * H, (size_t) n * H * sizeof(float));
be->download(bd->h_w, a->attw, (size_t) n * nh * L * sizeof(float));
for (int j = 0; j < n; j++) {
  memcpy(new_state + (size_t) j * F, bd->h_s + (size_t) j * H, (size_t) H * sizeof(float));
  if (F > H)
    memcpy(new_state + (size_t) j * F + H, bd->h_x + (size_t) j * H, (size_t) H * sizeof(float));
  float *row = attn + (size_t) j * L;
  for (int s = 0; s < L; s++) row[s] = 0.0f;
  for (int h = 0; h < nh; h++)
    for (int s = 0; s < L; s++) row[s] += bd->h_w[((size_t) j * nh + h) * L + s] / (float) nh;
}

@ |bmodel_decoder| gives the batched model's decoder; the model stays the
caller's. Its scratch is sized for |B_cap| rows.
@<Batched model functions@>=
static void bdec_release(Decoder *d)
{
  BDecoder *bd = (BDecoder *) d;
  const Backend *be = bd->bm->be;
  be->release(bd->mem[0]);
  be->release(bd->mem[1]);
  be->release(bd->dsent);
  free(bd->len), free(bd->h_len), free(bd->h_s), free(bd->h_x), free(bd->h_w);
  free(bd);
}

Decoder *bmodel_decoder(BModel *bm)
{
  BDecoder *bd = xcalloc(1, sizeof *bd);
  size_t C = (size_t) bm->B_cap, H = (size_t) bm->cfg.H, L = (size_t) bm->cfg.L;
  bd->bm = bm;
  bd->d = (Decoder) {bm->cfg.V_out, bm->cfg.L, bm->kind == KIND_BAHDANAU ? bm->cfg.H :
    2 * bm->cfg.H, SOS_TOKEN, EOS_TOKEN, UNK_TOKEN, bdec_encode, bdec_step, bdec_release};
  bd->dsent = dev(bm, C, sizeof(int));
  bd->h_len = xcalloc(C, sizeof(int));
  bd->h_s = xcalloc(C * H, sizeof(float));
  bd->h_x = xcalloc(C * H, sizeof(float));
  bd->h_w = xcalloc(C * (size_t) bm->heads * L, sizeof(float));
  return &bd->d;
}

@ @<Prototypes@>=
Decoder *bmodel_decoder(BModel *bm);

@ What the content-based kinds do on sentences they never saw. The command
\.{make} \.{experiments} splits the corpus as \.{make} \.{decode-table} does
(seed 1), trains each of the four kinds on the training split for the same 10
epochs with the tutorial's settings, keeps the model of the epoch with the
lowest validation loss (\.{train} \.{--valid}), and scores it on the test
split, greedily and with a beam of 5 under two length penalties; the whole
run takes about four and a half minutes of one core. It wrote this table:
\listing{out-experiments.txt}
Three things can be read from it. First, attention that looks at the words
is what makes a translator: every kind here scores about twice the BLEU of
the notebook's kind on the same test sentences (11.87 greedy, in the
table of the chapter on decoding), with the same hidden size. Part of the
gap is that they read a word they do not know as \.{<UNK>}, where the
notebook's kind gives up on 139 of the 655 sentences.
Second, the beam helps every kind, by 1.4 to 3.9 BLEU, and finds more exact
translations than greedy decoding; the two length penalties are within 0.6
of each other, so the default (Wu's, $\alpha=0.6$) stays. Third, the
kinds are close, but not equal: Bahdanau's additive score and Luong's
general score, the two with a learned matrix between query and keys, lead,
and Luong's plain dot product, which must find alignment in the raw states,
is last; the validation loss puts them in nearly the same order as BLEU.
The parameters differ by 4 per cent at most, since the output layer and the
embeddings hold most of them; seconds per epoch were measured on a shared
machine and say little. (The numbers this paragraph relies on, from the run
that wrote the table: test BLEU greedy and beam 5 (under the better of the two penalties) of each
kind, 26.4 and
30.0 for \.{bahdanau}, 22.6 and 24.1 for \.{luong-dot}, 25.4 and 29.3 for
\.{luong-general}, 24.7 and 27.9 for \.{multihead}; a new run changes them
by a few tenths, and the paragraph should be read again if their order
changes.)
@^experiments@>
@^length penalty@>

@ What a content-based model looks at. Figure~6 is the attention of the
\.{bahdanau} model of the table (drawn by \.{make} \.{corpus-figures}) while
it translates a sentence it never saw, ``i am a free man .'', with a beam of
5, into ``je suis un homme libre .''. Unlike the notebook's (Figure~8, in the
chapter on figures), its weights sit on the sentence's words: the first row
looks at ``i'', the middle rows move along the sentence, and the last row at
the full stop. The adjective comes after its noun in French, and the weights
show the reordering: while it writes ``homme'' the decoder looks past
``free'' at ``man'' (weight 0.77), and it writes ``libre'' still looking
there (0.72). The encoder reads from left to right, so its state at ``man''
has read ``free man'': the key of ``man'' carries both words, and one place
serves the noun and its adjective. (A bidirectional encoder, which also
reads from the right, gives each word a key of its own neighbourhood on
both sides; the tutorial's, and this one, do not.)
@^heatmap@>
@^alignment@>

\kitfigure{../figures/heatmap-bahdanau-free-man.pdf}{.95\hsize}{Figure~6.
A content-based model on a sentence it never saw. It is the \.{bahdanau}
model of \.{make} \.{experiments}, 10 epochs of the corpus's training split,
translating with a beam of 5. Rows
are the French words written, columns the English words read (with
\.{<EOS>}); a light cell is a large weight.}

@** Part IV: the GPU.
The fourth part runs Part II's trainer on an NVIDIA GPU, with cuBLAS for
the products and the same per-element code as the processor.

@* The GPU.
@^GPU@>
@^CUDA@>
A graphics card is a second computer inside the first: it has its own memory
(141 gigabytes on the H200 the kit was written for) and some sixteen
thousand simple arithmetic units, grouped in 132 {\it streaming
multiprocessors}. It runs one function, a {\it kernel}, on very many
{\it threads\/} at once: a launch names the kernel, a {\it grid\/} of
{\it blocks\/} and the threads of a block, and every thread runs the same
code with its own number. Threads come in groups of 32 that execute in lock
step, and a block's threads share a multiprocessor. The processor only
queues the work: a launch returns at once, the card works through its queue
in order, and the processor waits for it only when it asks for a result.

For the kit this means three things. The numbers live in the card's memory,
which the host program cannot read: it holds pointers that it passes on to
kernels and to copies. A launch costs the processor a few microseconds, so
a small kernel costs more to start than to run; at the tutorial's size (a
batch of 32, hidden 128) a training step is a few hundred launches and products of a few
thousand threads each, and the count of launches, not of floating-point
operations, sets the time. Counted from the batched model's code, a
Bahdanau step with longest sentences of $S$ and $T$ words is
$15+3S+9T$ calls forward ($3$ per source word, $9$ per target word),
$26+2S+11T$ backward and 2 more for the update: $43+5S+20T$, or 293 calls for
$S=T=10$; at three microseconds of the processor's time each, about a
millisecond per step, 0.3~seconds per epoch of the tutorial's 10\,600 pairs
(an estimate until \.{make bench-cuda} measures it). And the products, which are most of the
arithmetic, are cuBLAS's: NVIDIA's matrix library, whose |sgemm| is tuned
for each generation of cards.
@^launch overhead@>
@^cuBLAS@>

@ The backend interface of Part~II was drawn for this chapter. The batched
model asks its backend for memory, copies, products and per-element
kernels, and never touches a number itself. The CUDA backend answers every
call: memory with \.{cudaMalloc}, copies with \.{cudaMemcpy}, the product
with cuBLAS, and each kernel entry with a launch of a thin \.{\_\_global\_\_}
wrapper that computes its thread's index and calls the very |KIT_HD| body
that the CPU backend's loop calls. So the arithmetic of a GRU gate, a masked
softmax or Adam's step is written once, in the header; the CPU's tests of
the batched model test what the card is asked to do; and a host test (at the
end of this chapter) runs each wrapper with the launch's own grid and index
arithmetic, on the processor.
@^backend@>

The backend is one file of CUDA~C++, \.{backend\_cuda.cu}, and one header
that holds the wrappers and the launches, \.{cuda\_kernels.h}, so that the
host test can compile them too (both in \.{generated/}). Without \.{nvcc}
the Makefile builds \.{backend\_nocuda.c} instead, whose
|cuda_backend_open| says that this program was built without CUDA.
@(generated/backend_cuda.cu@>=
extern "C" {
#include "attention.h"
}
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
@<CUDA backend state@>@;
@<CUDA checked calls@>@;
@<Load cuBLAS when the GPU is first asked for@>@;
#include "cuda_kernels.h"
@<CUDA memory and copies@>@;
@<CUDA matrix product@>@;
@<CUDA graphs of a training step@>@;
@<Open the CUDA backend@>@;

@ Every call to the CUDA runtime and to cuBLAS returns a status; a failure
is reported with the file and line of the call (which the \.{\#line}
directives make a line of \.{attention.w}), the error's name and its
description, and ends the program with status 1. A GPU error in the middle
of training leaves nothing worth saving, and an error that is not caught at
its call shows up later at an innocent one: every launch is checked too.
@^error handling, CUDA@>
@<CUDA checked calls@>=
static void cuda_fail(cudaError_t e, const char *file, int lineno, const char *call)
{
  fprintf(stderr, "attention: %s:%d: CUDA error %s (%s) in %s\n", file, lineno,
    cudaGetErrorName(e), cudaGetErrorString(e), call);
  exit(1);
}
static void cublas_fail(cublasStatus_t s, const char *file, int lineno, const char *call)
{
  fprintf(stderr, "attention: %s:%d: cuBLAS error %s (%s) in %s\n", file, lineno,
    blas.status_name(s), blas.status_string(s), call);
  exit(1);
}
#define cudaCheck(x) do { cudaError_t e_ = (x); \
  if (e_ != cudaSuccess) cuda_fail(e_, __FILE__, __LINE__, #x); } while (0)
#define cublasCheck(x) do { cublasStatus_t s_ = (x); \
  if (s_ != CUBLAS_STATUS_SUCCESS) cublas_fail(s_, __FILE__, __LINE__, #x); } while (0)

@ cuBLAS is a large library (half a gigabyte with its companion
\.{cublasLt}), and a program linked against it spends some 0.4 seconds
loading it at every start, ten times what the CPU program takes to run
\.{translate} on a short sentence. So \.{./attention} is linked with the CUDA
runtime alone (its static version, a megabyte), and loads cuBLAS with
|dlopen| when \.{--device cuda} first asks for the GPU, taking the seven
functions it calls by name. The file name carries cuBLAS's major version,
the one the program was compiled against.
@^cuBLAS@>
@^dynamic loading@>
@<Load cuBLAS when the GPU is first asked for@>=
#define BLAS_FN(p, f) if (!(blas.p = (decltype(blas.p)) dlsym(h, #f))) \
  return snprintf(msg, n, "%s has no function %s", so, #f), -1
static int blas_load(char *msg, size_t n)
{
  char so[32];
  snprintf(so, sizeof so, "libcublas.so.%d", CUBLAS_VER_MAJOR);
  void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  if (!h) return snprintf(msg, n, "cannot load cuBLAS: %s", dlerror()), -1;
  BLAS_FN(create, cublasCreate_v2);
  BLAS_FN(set_stream, cublasSetStream_v2);
  BLAS_FN(set_math_mode, cublasSetMathMode);
  BLAS_FN(set_workspace, cublasSetWorkspace_v2);
  BLAS_FN(sgemm, cublasSgemm_v2);
  BLAS_FN(status_name, cublasGetStatusName);
  BLAS_FN(status_string, cublasGetStatusString);
  return 0;
}

@ The backend's state: one stream, the queue that every launch, copy and
product goes into (a stream of our own rather than the default one, because
only such a stream can be captured into a graph), the cuBLAS handle, and
counts of the work, which \.{KIT\_CUDA\_STATS=1} prints when the program
ends. The cuBLAS functions are reached through pointers, for the reason the
next section gives.
@<CUDA backend state@>=
static cudaStream_t kit_stream;
static cublasHandle_t kit_blas;
static struct {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSetWorkspace_v2) set_workspace;
  decltype(&cublasSgemm_v2) sgemm;
  decltype(&cublasGetStatusName) status_name;
  decltype(&cublasGetStatusString) status_string;
} blas;
static unsigned long long kit_launches, kit_products;
static unsigned long long kit_graph_launches, kit_graph_new, kit_graph_updated;
static double kit_flops;

@* A kernel and its launch.
@^kernel@>
@^launch@>
A launch of $n$ threads is a grid of $\lceil n/{\it KIT\_BLOCK}\rceil$
blocks of |KIT_BLOCK| threads; thread |threadIdx.x| of block |blockIdx.x|
takes the index $i={}$|blockIdx.x * blockDim.x + threadIdx.x|, and the
threads of the last block whose $i$ is $n$ or more do nothing. Blocks of 256
threads (eight groups of 32) let a multiprocessor keep several blocks in
flight, which hides the time a thread waits for memory; the exact size
matters little for kernels this simple. The header is C as well as CUDA:
compiled by \.{nvcc}, |KIT_GLOBAL| is \.{\_\_global\_\_} and a launch is a
launch; compiled by the host test, |KIT_GLOBAL| is |static|, the four
built-in variables are ordinary ones, and |KIT_LAUNCH| is the two loops over
blocks and threads that the card runs in parallel.
@(generated/cuda_kernels.h@>=
#define KIT_BLOCK 256
@<The launch of a kernel, on the device or on the host@>@;
KIT_DEV static inline size_t kit_index(void)
{
  return (size_t) blockIdx.x * blockDim.x + threadIdx.x;
}
static inline unsigned kit_blocks(size_t n)
{
  return (unsigned) ((n + KIT_BLOCK - 1) / KIT_BLOCK);
}
static void dev_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc);
@<The row-major product from a column-major one@>@;
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>@;
@<The kernel entries of the CUDA backend@>@;

@ A launch of no threads is an error on the card (an empty grid), so
|KIT_LAUNCH| skips it on both sides. On the card, each launch is checked at
once: |cudaGetLastError| reports a launch that could not start (too many
threads, a kernel not built for this card); an error while the kernel runs
shows up at the next call that waits for the card.
@<The launch of a kernel, on the device or on the host@>=
#ifdef __CUDACC__
#define KIT_GLOBAL __global__
#define KIT_DEV __device__
#define KIT_LAUNCH(kernel, count, ...) do { size_t n_ = (count); if (n_ > 0) { \
  kernel<<<kit_blocks(n_), KIT_BLOCK, 0, kit_stream>>>(__VA_ARGS__); \
  cudaCheck(cudaGetLastError()); kit_launches++; } } while (0)
#else
#define KIT_GLOBAL static
#define KIT_DEV
static struct { unsigned x; } blockIdx, blockDim, threadIdx, gridDim;
#define KIT_LAUNCH(kernel, count, ...) do { size_t n_ = (count); if (n_ > 0) { \
  gridDim.x = kit_blocks(n_), blockDim.x = KIT_BLOCK; \
  for (blockIdx.x = 0; blockIdx.x < gridDim.x; blockIdx.x++) \
    for (threadIdx.x = 0; threadIdx.x < blockDim.x; threadIdx.x++) \
      kernel(__VA_ARGS__); } } while (0)
#endif

@ The wrappers. A one-index body gets $i$; a pair-indexed body over an
$n\times m$ array gets $r=\lfloor i/m\rfloor$ and $j=i\bmod m$, so that
consecutive threads take consecutive columns of a row, which sit next to
each other in memory: the 32 threads of a group then read and write one
stretch of memory together (a {\it coalesced\/} access), the pattern that
a card's memory serves fastest.
@^coalesced access@>
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_embed(float *out, const float *table, const int *ids, int n, int H,
  float p, uint64_t seed)
{
  size_t i = kit_index();
  if (i < (size_t) n * H) kb_embed((int) (i / H), (int) (i % H), out, table, ids, H, p, seed);
}
KIT_GLOBAL void k_embed_backward(float *dtable, const float *dout, const int *ids, int n,
  int H, float p, uint64_t seed)
{
  size_t i = kit_index();
  if (i < (size_t) H) kb_embed_backward((int) i, dtable, dout, ids, n, H, p, seed);
}
KIT_GLOBAL void k_add_bias(float *y, const float *b, int n, int m)
{
  size_t i = kit_index();
  if (i < (size_t) n * m) kb_add_bias((int) (i / m), (int) (i % m), y, b, m);
}

@ Rows are moved by a list of row numbers, and the beam gathers the keys of
each hypothesis's sentence; each of these wrappers takes one thread per
number moved.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_gather_rows(float *dst, const float *src, const int *rows, int n, int m)
{
  size_t i = kit_index();
  if (i < (size_t) n * m) kb_gather_rows((int) (i / m), (int) (i % m), dst, src, rows, m);
}
KIT_GLOBAL void k_scatter_rows(float *dst, const float *src, const int *rows, int n, int m)
{
  size_t i = kit_index();
  if (i < (size_t) n * m) kb_scatter_rows((int) (i / m), (int) (i % m), dst, src, rows, m);
}
KIT_GLOBAL void k_gather_keys(float *dst, const float *src, const int *sent, int n, int S,
  int N, int H)
{
  size_t i = kit_index();
  if (i < (size_t) S * n * H)
    kb_gather_keys((int) (i / H), (int) (i % H), dst, src, sent, n, N, H);
}

@ The GRU's gates, one thread per unit of one sentence.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_gru_forward(float *h_new, GruCache *cache, const float *gi,
  const float *gh, const float *h, float *out, const int *len, int s, int B, int H)
{
  size_t i = kit_index();
  if (i < (size_t) B * H)
    kb_gru_forward((int) (i / H), (int) (i % H), h_new, cache, gi, gh, h, out, len, s, H);
}
KIT_GLOBAL void k_gru_backward(float *dgi, float *dgh, float *dh_prev,
  const float *dh_new, const float *dout, const float *h, const GruCache *cache,
  const int *len, int s, int B, int H)
{
  size_t i = kit_index();
  if (i < (size_t) B * H)
    kb_gru_backward((int) (i / H), (int) (i % H), dgi, dgh, dh_prev, dh_new, dout, h,
      cache, len, s, H);
}

@ Bahdanau's scores and the four parts of their gradient.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_additive_score(float *e, float *a, const float *wq, const float *uk,
  const float *va, int B, int S, int H)
{
  size_t i = kit_index();
  if (i < (size_t) B * S) kb_additive_score((int) i, e, a, wq, uk, va, B, S, H);
}
KIT_GLOBAL void k_additive_pre(float *a, const float *de, const float *va, int n, int H)
{
  size_t i = kit_index();
  if (i < (size_t) n * H) kb_additive_pre((int) (i / H), (int) (i % H), a, de, va, H);
}
KIT_GLOBAL void k_additive_dwq(float *dwq, const float *dpre, int B, int S, int H)
{
  size_t i = kit_index();
  if (i < (size_t) B * H) kb_additive_dwq((int) (i / H), (int) (i % H), dwq, dpre, S, H);
}
KIT_GLOBAL void k_additive_duk(float *duk, const float *dpre, int B, int S, int H)
{
  size_t i = kit_index();
  if (i < (size_t) S * B * H)
    kb_additive_duk((int) (i / H), (int) (i % H), duk, dpre, B, S, H);
}

@ Dot-product scores and the softmax over a sentence.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_dot_score(float *e, const float *q, const float *k, int B, int S, int H,
  int heads, float scale)
{
  size_t i = kit_index();
  if (i < (size_t) B * heads * S) kb_dot_score((int) i, e, q, k, B, S, H, heads, scale);
}
KIT_GLOBAL void k_dot_dq(float *dq, const float *de, const float *k, int B, int S, int H,
  int heads, float scale)
{
  size_t i = kit_index();
  if (i < (size_t) B * H)
    kb_dot_dq((int) (i / H), (int) (i % H), dq, de, k, B, S, H, heads, scale);
}
KIT_GLOBAL void k_dot_dk(float *dk, const float *de, const float *q, int B, int S, int H,
  int heads, float scale)
{
  size_t i = kit_index();
  if (i < (size_t) S * B * H)
    kb_dot_dk((int) (i / H), (int) (i % H), dk, de, q, B, S, H, heads, scale);
}

@ The softmax and its gradient take one thread per row of scores, one
query's scores over the positions of its sentence for one head; the thread
adds up its row alone.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_masked_softmax(float *w, const float *e, const int *len, int rows,
  int heads, int S)
{
  size_t i = kit_index();
  if (i < (size_t) rows) kb_masked_softmax((int) i, w, e, len, heads, S);
}
KIT_GLOBAL void k_softmax_backward(float *de, const float *dw, const float *w, int rows,
  int S)
{
  size_t i = kit_index();
  if (i < (size_t) rows) kb_softmax_backward((int) i, de, dw, w, S);
}

@ The context and its two gradients.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_context(float *c, const float *w, const float *v, int B, int S, int H,
  int heads)
{
  size_t i = kit_index();
  if (i < (size_t) B * H) kb_context((int) (i / H), (int) (i % H), c, w, v, B, S, H, heads);
}
KIT_GLOBAL void k_context_dw(float *dw, const float *dc, const float *v, int B, int S,
  int H, int heads)
{
  size_t i = kit_index();
  if (i < (size_t) B * heads * S) kb_context_dw((int) i, dw, dc, v, B, S, H, heads);
}
KIT_GLOBAL void k_context_dv(float *dv, const float *dc, const float *w, int B, int S,
  int H, int heads)
{
  size_t i = kit_index();
  if (i < (size_t) S * B * H)
    kb_context_dv((int) (i / H), (int) (i % H), dv, dc, w, B, S, H, heads);
}

@ The rest: $\tanh$, the loss, decoding's log-softmax and choice of word,
the sum of the losses, an addition and Adam. The sum is a single thread:
it adds at most $LB$ numbers once per batch, and one thread adds them in
the same order as the CPU.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_tanh(float *y, const float *x, int n)
{
  size_t i = kit_index();
  if (i < (size_t) n) kb_tanh((int) i, y, x);
}
KIT_GLOBAL void k_tanh_backward(float *dx, const float *dy, const float *y, int n)
{
  size_t i = kit_index();
  if (i < (size_t) n) kb_tanh_backward((int) i, dx, dy, y);
}
KIT_GLOBAL void k_nll(float *logits, float *row_loss, const int *tgt, int n, int V,
  float scale)
{
  size_t i = kit_index();
  if (i < (size_t) n) kb_nll((int) i, logits, row_loss, tgt, V, scale);
}
KIT_GLOBAL void k_log_softmax(float *x, int n, int V)
{
  size_t i = kit_index();
  if (i < (size_t) n) kb_log_softmax((int) i, x, V);
}

@ Each wrapper checks that its thread has an element and calls the body; the sum, whose order must not change, runs on a single thread.
@<The kernels, one \.{\_\_global\_\_} wrapper per body@>=
KIT_GLOBAL void k_argmax(int *out, const float *x, int n, int V)
{
  size_t i = kit_index();
  if (i < (size_t) n) kb_argmax((int) i, out, x, V);
}
KIT_GLOBAL void k_sum(float *acc, const float *x, int n)
{
  if (kit_index() == 0) kb_sum(acc, x, n);
}
KIT_GLOBAL void k_add(float *y, const float *x, int n)
{
  size_t i = kit_index();
  if (i < (size_t) n) kb_add((int) i, y, x);
}
KIT_GLOBAL void k_adam(float *p, const float *g, float *m, float *v, size_t n,
  AdamConstants c)
{
  size_t i = kit_index();
  if (i < n) kb_adam(i, p, g, m, v, c);
}

@ The backend's kernel entries launch the wrappers, one entry per entry of
the interface, with as many threads as the CPU backend's loop has
iterations. The entries that the CPU backend runs as several loops run as
the same launches in the same order: the stream keeps them in order, so a
launch sees everything the previous ones wrote.
@<The kernel entries of the CUDA backend@>=
static void cu_embed(float *out, const float *table, const int *ids, int n, int H,
  float p, uint64_t seed)
{
  KIT_LAUNCH(k_embed, (size_t) n * H, out, table, ids, n, H, p, seed);
}
static void cu_embed_backward(float *dtable, const float *dout, const int *ids, int n,
  int H, float p, uint64_t seed)
{
  KIT_LAUNCH(k_embed_backward, (size_t) H, dtable, dout, ids, n, H, p, seed);
}
static void cu_add_bias(float *y, const float *b, int n, int m)
{
  KIT_LAUNCH(k_add_bias, (size_t) n * m, y, b, n, m);
}

@ The moves of rows launch one thread per number moved, as their wrappers expect.
@<The kernel entries of the CUDA backend@>=
static void cu_gather_rows(float *dst, const float *src, const int *rows, int n, int m)
{
  KIT_LAUNCH(k_gather_rows, (size_t) n * m, dst, src, rows, n, m);
}
static void cu_scatter_rows(float *dst, const float *src, const int *rows, int n, int m)
{
  KIT_LAUNCH(k_scatter_rows, (size_t) n * m, dst, src, rows, n, m);
}
static void cu_gather_keys(float *dst, const float *src, const int *sent, int n, int S,
  int N, int H)
{
  KIT_LAUNCH(k_gather_keys, (size_t) S * n * H, dst, src, sent, n, S, N, H);
}

@ Each entry of the CUDA backend launches its kernel with one thread per element of the output (|KIT_LAUNCH|), with the arguments of the CPU's entry.
@<The kernel entries of the CUDA backend@>=
static void cu_gru_forward(float *h_new, GruCache *cache, const float *gi,
  const float *gh, const float *h, float *out, const int *len, int s, int B, int H)
{
  KIT_LAUNCH(k_gru_forward, (size_t) B * H, h_new, cache, gi, gh, h, out, len, s, B, H);
}
static void cu_gru_backward(float *dgi, float *dgh, float *dh_prev, const float *dh_new,
  const float *dout, const float *h, const GruCache *cache, const int *len, int s,
  int B, int H)
{
  KIT_LAUNCH(k_gru_backward, (size_t) B * H, dgi, dgh, dh_prev, dh_new, dout, h, cache,
    len, s, B, H);
}

@ Bahdanau's gradient, as the CPU backend sequences it: $v_a$'s product
first (it reads the $\tanh$ values that the next launch overwrites), then
the three loops.
@<The kernel entries of the CUDA backend@>=
static void cu_additive_scores(float *e, float *a, const float *wq, const float *uk,
  const float *va, int B, int S, int H)
{
  KIT_LAUNCH(k_additive_score, (size_t) B * S, e, a, wq, uk, va, B, S, H);
}
static void cu_additive_backward(float *dwq, float *duk, float *dva, const float *de,
  float *a, const float *va, int B, int S, int H)
{
  dev_gemm(0, 0, 1, H, B * S, 1.0f, de, B * S, a, H, 1.0f, dva, H);
  KIT_LAUNCH(k_additive_pre, (size_t) B * S * H, a, de, va, B * S, H);
  KIT_LAUNCH(k_additive_dwq, (size_t) B * H, dwq, a, B, S, H);
  KIT_LAUNCH(k_additive_duk, (size_t) S * B * H, duk, a, B, S, H);
}

@ The dot-product scores and their gradients, one kernel per output, as on the CPU.
@<The kernel entries of the CUDA backend@>=
static void cu_dot_scores(float *e, const float *q, const float *k, int B, int S,
  int H, int heads, float scale)
{
  KIT_LAUNCH(k_dot_score, (size_t) B * heads * S, e, q, k, B, S, H, heads, scale);
}
static void cu_dot_backward(float *dq, float *dk, const float *de, const float *q,
  const float *k, int B, int S, int H, int heads, float scale)
{
  KIT_LAUNCH(k_dot_dq, (size_t) B * H, dq, de, k, B, S, H, heads, scale);
  KIT_LAUNCH(k_dot_dk, (size_t) S * B * H, dk, de, q, B, S, H, heads, scale);
}
static void cu_masked_softmax(float *w, const float *e, const int *len, int B,
  int heads, int S)
{
  KIT_LAUNCH(k_masked_softmax, (size_t) B * heads, w, e, len, B * heads, heads, S);
}
static void cu_softmax_backward(float *de, const float *dw, const float *w, int rows,
  int S)
{
  KIT_LAUNCH(k_softmax_backward, (size_t) rows, de, dw, w, rows, S);
}

@ The context and its gradients, in the same way.
@<The kernel entries of the CUDA backend@>=
static void cu_context(float *c, const float *w, const float *v, int B, int S, int H,
  int heads)
{
  KIT_LAUNCH(k_context, (size_t) B * H, c, w, v, B, S, H, heads);
}
static void cu_context_backward(float *dw, float *dv, const float *dc, const float *w,
  const float *v, int B, int S, int H, int heads)
{
  KIT_LAUNCH(k_context_dw, (size_t) B * heads * S, dw, dc, v, B, S, H, heads);
  KIT_LAUNCH(k_context_dv, (size_t) S * B * H, dv, dc, w, B, S, H, heads);
}

@ The element-wise entries, one thread per number.
@<The kernel entries of the CUDA backend@>=
static void cu_tanh_forward(float *y, const float *x, int n)
{
  KIT_LAUNCH(k_tanh, (size_t) n, y, x, n);
}
static void cu_tanh_backward(float *dx, const float *dy, const float *y, int n)
{
  KIT_LAUNCH(k_tanh_backward, (size_t) n, dx, dy, y, n);
}
static void cu_nll(float *logits, float *row_loss, const int *tgt, int n, int V,
  float scale)
{
  KIT_LAUNCH(k_nll, (size_t) n, logits, row_loss, tgt, n, V, scale);
}
static void cu_log_softmax(float *x, int n, int V)
{
  KIT_LAUNCH(k_log_softmax, (size_t) n, x, n, V);
}

@ The argmax takes one thread per row of logits, the sum one thread in all.
@<The kernel entries of the CUDA backend@>=
static void cu_argmax(int *out, const float *x, int n, int V)
{
  KIT_LAUNCH(k_argmax, (size_t) n, out, x, n, V);
}
static void cu_sum(float *acc, const float *x, int n)
{
  KIT_LAUNCH(k_sum, (size_t) 1, acc, x, n);
}
static void cu_add(float *y, const float *x, int n)
{
  KIT_LAUNCH(k_add, (size_t) n, y, x, n);
}
static void cu_adam(float *p, const float *g, float *m, float *v, size_t n,
  AdamConstants k)
{
  KIT_LAUNCH(k_adam, n, p, g, m, v, n, k);
}

@* Memory, copies and the product.
@^device memory@>
Device memory comes from |cudaMalloc| and is zeroed, as the interface
promises, in the stream (a stream of our own does not wait for work outside
it, so the zeroing must be in it to come before the kernels). A copy from
ordinary host memory goes into the stream too: CUDA first copies the bytes
into a buffer of its own and returns, so the caller may free or reuse its
buffer at once, and the processor does not wait for the card; the next
batch's words are queued while the card still works on this one, and reach
their buffers only after the kernels queued before them have read the old
ones. A copy to the host waits for everything queued before it, which is the
moment the host learns a result (a batch's chosen words, the loss when it is
printed, the parameters when a checkpoint is written, by the same code as on
the CPU). Copies and zeroing within the card are not waited for.
@<CUDA memory and copies@>=
static void *cu_alloc(size_t bytes)
{
  void *p = NULL;
  cudaCheck(cudaMalloc(&p, bytes ? bytes : 16));
  cudaCheck(cudaMemsetAsync(p, 0, bytes ? bytes : 16, kit_stream));
  return p;
}
static void cu_release(void *p)
{
  if (p) cudaCheck(cudaFree(p));
}
static void cu_upload(void *dst, const void *src, size_t bytes)
{
  if (!bytes) return;
  cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, kit_stream));
}

@ A download waits for the stream, since the host reads what it gets at once; a copy or a zeroing on the card only joins the stream's queue.
@<CUDA memory and copies@>=
static void cu_download(void *dst, const void *src, size_t bytes)
{
  if (!bytes) return;
  cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, kit_stream));
  cudaCheck(cudaStreamSynchronize(kit_stream));
}
static void cu_copy(void *dst, const void *src, size_t bytes)
{
  if (bytes) cudaCheck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, kit_stream));
}
static void cu_zero(void *p, size_t bytes)
{
  if (bytes) cudaCheck(cudaMemsetAsync(p, 0, bytes, kit_stream));
}

@ The interface's product is row-major, as CBLAS allows; cuBLAS knows only
column-major matrices, as Fortran's BLAS. The two are reconciled by a
transpose that costs nothing: a row-major $M\times N$ matrix with rows
|ldc| apart is, read column-major with the same leading dimension, its
transpose, an $N\times M$ matrix. So $C=\alpha\,{\rm op}(A)\,{\rm op}(B)+
\beta C$ in row-major order is $C^{\top}=\alpha\,{\rm op}(B)^{\top}\,{\rm
op}(A)^{\top}+\beta C^{\top}$ in column-major order, and that is one call
with the operands swapped: $B$ first with |tb|'s transpose flag, then $A$
with |ta|'s, the sizes $N$, $M$, $K$, and the same leading dimensions and
pointer offsets as the CPU's call. (The transpose flags stay as they are:
${\rm op}(B)^{\top}$ read column-major is ${\rm op}(B)$ as stored.) The swap
lives in the kernels' header, for any column-major product, so that the host
test checks it with CBLAS's column-major |sgemm| in cuBLAS's place.
@^matrix product@>
@^row-major and column-major@>
@<The row-major product from a column-major one@>=
typedef void ColGemm(int ta, int tb, int m, int n, int k, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc);
static inline void row_major_gemm(ColGemm *col, int ta, int tb, int M, int N, int K,
  float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C,
  int ldc)
{
  if (M > 0 && N > 0) col(tb, ta, N, M, K, alpha, B, ldb, A, lda, beta, C, ldc);
}

@ cuBLAS runs the call in the stream, without waiting.
@<CUDA matrix product@>=
static void cublas_col_gemm(int ta, int tb, int m, int n, int k, float alpha,
  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  cublasCheck(blas.sgemm(kit_blas, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
    tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &alpha, A, lda, B, ldb, &beta, C, ldc));
}
static void dev_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  row_major_gemm(cublas_col_gemm, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  kit_products++;
  kit_flops += 2.0 * M * N * K;
}

@ The products run in ordinary single precision. cuBLAS could round the
inputs of the products to TensorFloat-32 (10 bits of mantissa instead of
23) and run them on the tensor cores, several times faster, but the results
would then differ from the CPU's by about $10^{-3}$, and training would no
longer be the same computation on both. The math mode is set to
|CUBLAS_DEFAULT_MATH|, in which |cublasSgemm| multiplies and adds in single
precision, as OpenBLAS does.
@^TensorFloat-32@>

@* Opening the backend.
|cuda_backend_open| finds the card, checks that this build can run on it
(the kernels are compiled for compute capability 9.0, Hopper, and carried as
PTX for any newer card, which the driver compiles when it first loads the
program), makes the stream and the cuBLAS handle, and describes the card in
|msg|. Without a card, or with a card too old, it returns |NULL| and says why
in |msg|. It opens once; later calls return the same backend. (The header's
prototype, read inside \.{extern "C"}, gives this definition and
|backend_train_batch|'s C linkage, so that the C program can call them.)
@<Open the CUDA backend@>=
const Backend *cuda_backend_open(char *msg, size_t n)
{
  static int opened;
  static char desc[320];
  if (opened) {
    snprintf(msg, n, "%s", desc);
    return &cuda_backend;
  }
  int count = 0, dev = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    snprintf(msg, n, "no CUDA GPU found (%s)", e != cudaSuccess ? cudaGetErrorString(e) :
      "no device");
    return NULL;
  }
  @<Check the card's compute capability, and describe it in |desc|, or return |NULL|@>@;
  @<Make the stream and the cuBLAS handle@>@;
  opened = 1;
  snprintf(msg, n, "%s", desc);
  return &cuda_backend;
}

@ The program is compiled for compute capability 9.0, so an older card is refused by a message that names it.
@<Check the card's compute capability, and describe it in |desc|, or return |NULL|@>=
cudaDeviceProp prop;
cudaCheck(cudaGetDeviceProperties(&prop, dev));
if (prop.major < 9) {
  snprintf(msg, n, "the GPU %s has compute capability %d.%d; this program was built "
    "for 9.0 (Hopper) and newer", prop.name, prop.major, prop.minor);
  return NULL;
}
snprintf(desc, sizeof desc, "%.200s (compute capability %d.%d, %d multiprocessors, %.0f GiB)",
  prop.name, prop.major, prop.minor, prop.multiProcessorCount,
  (double) prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));

@ cuBLAS wants a workspace of its own when its calls are captured into a
graph (otherwise it may allocate one inside the capture, which is not
allowed); 32 megabytes is what NVIDIA recommends for Hopper.
@<Make the stream and the cuBLAS handle@>=
void *work;
cudaCheck(cudaSetDevice(dev));
cudaCheck(cudaStreamCreateWithFlags(&kit_stream, cudaStreamNonBlocking));
if (blas_load(msg, n)) return NULL;
cublasCheck(blas.create(&kit_blas));
cublasCheck(blas.set_stream(kit_blas, kit_stream));
cublasCheck(blas.set_math_mode(kit_blas, CUBLAS_DEFAULT_MATH));
cudaCheck(cudaMalloc(&work, (size_t) 32 << 20));
cublasCheck(blas.set_workspace(kit_blas, work, (size_t) 32 << 20));
if (getenv("KIT_CUDA_STATS")) atexit(cuda_report);

@ The counts of the work, for \.{make bench-cuda}.
@<CUDA graphs of a training step@>=
static void cuda_report(void)
{
  fprintf(stderr, "cuda: %llu kernel launches, %llu products (%.3f Gflop), %llu graph "
    "launches (%llu instantiated, %llu updated)\n", kit_launches, kit_products,
    kit_flops * 1e-9, kit_graph_launches, kit_graph_new, kit_graph_updated);
}

@ The table, in the interface's order.
@<CUDA memory and copies@>=
static const Backend cuda_backend = {"cuda", cu_alloc, cu_release, cu_upload,
  cu_download, cu_copy, cu_zero, dev_gemm, cu_embed, cu_embed_backward, cu_add_bias,
  cu_gather_rows, cu_scatter_rows, cu_gru_forward, cu_gru_backward, cu_additive_scores, cu_additive_backward,
  cu_dot_scores, cu_dot_backward, cu_masked_softmax, cu_softmax_backward, cu_context,
  cu_context_backward, cu_tanh_forward, cu_tanh_backward, cu_nll, cu_log_softmax,
  cu_argmax, cu_sum, cu_add, cu_adam, cu_gather_keys};

@ @<Prototypes@>=
const Backend *cuda_backend_open(char *msg, size_t n);
void backend_train_batch(BModel *bm, const Batch *bt, double lr);

@ Built without \.{nvcc}, the program has this instead.
@(generated/backend_nocuda.c@>=
#include "attention.h"
#include <stdio.h>
const Backend *cuda_backend_open(char *msg, size_t n)
{
  snprintf(msg, n, "this program was built without CUDA (no nvcc was found when it "
    "was built); install the CUDA toolkit and run make again");
  return NULL;
}
void backend_train_batch(BModel *bm, const Batch *bt, double lr)
{
  bmodel_train_batch(bm, bt, lr);
}

@* A training step as a CUDA graph.
@^CUDA graphs@>
At the tutorial's size a training step is a few hundred launches and
products of a few microseconds each, and the card finishes each one before the
processor has queued the next: the step takes as long as the processor
takes to launch. A {\it CUDA graph\/} is a recorded sequence of launches,
copies and products that the card replays from one call. The stream is put
in {\it capture\/} mode, the step runs as always (its calls are recorded
instead of run), and the recording is {\it instantiated}, turned into an
executable graph, once per shape of batch: batches with the same $B$, $S$
and $T$ make the same launches with the same grids on the same buffers.

What differs between two such steps are a few numbers passed by value: Adam's
step size and bias corrections, the dropout seeds and the loss's scale (one
over the batch's words). So each step is captured anew, and the
instantiated graph of its shape is {\it updated\/} in place with
|cudaGraphExecUpdate|, which changes those numbers and keeps the card's
prepared launch work; the graph is then launched once. A capture that fails
to update (a different sequence, which should not happen) is instantiated
afresh. Graphs are used when \.{KIT\_CUDA\_GRAPHS=1} is set, and the results
should be the same bits either way, since the same kernels run in the same
order; \.{make check-cuda} checks that they are.

{\it This section has never run on a GPU}: the session that wrote it had
none. \.{make check-cuda} compares a run with graphs against one without,
and \.{make bench-cuda} measures what they buy.
@<CUDA graphs of a training step@>=
#define GRAPH_SLOTS 64
static struct { int B, S, T; cudaGraphExec_t exec; } kit_graph[GRAPH_SLOTS];
static int kit_graphs;

@ Graphs are used only when \.{KIT\_CUDA\_GRAPHS=1} asks for them and the model is on a card; otherwise a training step is the plain one.
@<CUDA graphs of a training step@>=
void backend_train_batch(BModel *bm, const Batch *bt, double lr)
{
  static int use = -1;
  if (use < 0) use = getenv("KIT_CUDA_GRAPHS") && strcmp(getenv("KIT_CUDA_GRAPHS"), "1") == 0;
  if (!use || bm->be != &cuda_backend) {
    bmodel_train_batch(bm, bt, lr);
    return;
  }
  int k = 0;
  while (k < kit_graphs && (kit_graph[k].B != bt->B || kit_graph[k].S != bt->S
    || kit_graph[k].T != bt->T)) k++;
  cudaGraph_t g;
  cudaCheck(cudaStreamBeginCapture(kit_stream, cudaStreamCaptureModeThreadLocal));
  bmodel_train_batch(bm, bt, lr);
  cudaCheck(cudaStreamEndCapture(kit_stream, &g));
  @<Update the graph of slot |k| from |g|, or instantiate it@>@;
  cudaCheck(cudaGraphDestroy(g));
  cudaCheck(cudaGraphLaunch(kit_graph[k].exec, kit_stream));
  kit_graph_launches++;
}

@ What to expect, before it is measured: recording a launch costs the
processor perhaps half of what launching it does, and the update another
fraction, so capture and update may save little of the processor's time;
what they save is the card's idle time between launches, which the graph
runs back to back. The design that would save the processor's time too
replays without capturing: the four kernels that take per-step numbers
(the two embeddings, the loss and Adam) would read them from a small block of
device memory, written by one copy before each replay, and during a replay
the backend's calls would only record those numbers and a hash of their
other arguments (pointers and sizes), to check that the step is the one
captured (the two gradient buffers |d_s| and |d_s2| trade places at every
step, so the key would include their order). That changes those kernels'
signatures, and waits for the measurements of this design.

@ When all the slots are taken (more than 64 shapes, which a corpus with
sentences of up to ten words can reach), the last slot is reused.
@<Update the graph of slot |k| from |g|, or instantiate it@>=
if (k == GRAPH_SLOTS) k = GRAPH_SLOTS - 1;
if (k < kit_graphs) {
  cudaGraphExecUpdateResultInfo info;
  if (cudaGraphExecUpdate(kit_graph[k].exec, g, &info) == cudaSuccess) kit_graph_updated++;
  else {
    (void) cudaGetLastError();
    cudaCheck(cudaGraphExecDestroy(kit_graph[k].exec));
    kit_graph[k].exec = NULL;
  }
} else kit_graphs++, kit_graph[k].exec = NULL;
kit_graph[k].B = bt->B, kit_graph[k].S = bt->S, kit_graph[k].T = bt->T;
if (!kit_graph[k].exec) {
  cudaCheck(cudaGraphInstantiate(&kit_graph[k].exec, g, 0));
  kit_graph_new++;
}

@ Where a shared body is slow on a card. A body that loops over a long row
in one thread is right on both machines but wastes a card: the loss, the
log-softmax and the choice of word take one thread per row of $V$ logits,
so at hidden 512 and batch 256 ($TB\approx2500$ rows of some 20000 words)
only 2500 threads run, each reading its own row, 80 kilobytes apart from its
neighbours' (no coalescing); the embedding's scatter takes one thread per
column, $H$ threads in all. The products dominate there (about 80 billion
operations a batch for the output layer alone), so these kernels should be
a modest share; \.{make bench-cuda} will say. If they are not, the cure
keeps the arithmetic shared: split such a body into a per-element part and
a reduction over the row that a block of threads does together, and let
the CPU loop call the same two parts.
@^coalesced access@>

@* Why the GPU's numbers differ a little.
@^rounding@>
The kernels' arithmetic is the CPU's, but three things round differently.
The products: cuBLAS splits a sum of $K$ terms into other pieces than
OpenBLAS does, and floating-point addition is not associative, so a sum of
$K$ terms differs in its last bits (about $\sqrt K\,2^{-24}$ relative).
The functions: the card's |expf|, |tanhf| and |logf| are CUDA's own, correct
to a unit or two in the last place as glibc's are, but not the same bits. And
contraction: \.{nvcc} would fuse $a\cdot b+c$ into one rounding; the
Makefile forbids it (\.{-fmad=false}), as the C build does
(\.{-ffp-contract=off}), so that that difference at least is gone. Each
difference is a few units of $10^{-7}$; training compounds them a little
(Adam divides a gradient by its own size), so after two epochs the CPU's
and the GPU's parameters should agree to about $10^{-5}$ (an estimate, until
\.{make check-cuda} measures it), and the test
asks for $10^{-4}$ relative in every tensor. The GPU agrees with {\it itself\/} bit
for bit: every body sums in a fixed order, no kernel uses atomic additions,
and cuBLAS gives the same bits on the same card with one stream, so two
runs on one card are the same computation.
@^determinism@>

@* Testing the GPU code without a GPU.
@^testing, CUDA@>
The wrappers and launches of \.{cuda\_kernels.h} are C as well as CUDA, so
\.{tests/test\_cuda\_host.c} compiles them for the processor: each
|KIT_LAUNCH| becomes the loops over the grid's blocks and the block's
threads, with the same |KIT_BLOCK|, the same |kit_blocks| and the same
index arithmetic as on the card, and every product goes through
|row_major_gemm| with CBLAS's column-major |sgemm| in cuBLAS's place, so the
operand swap is tested as well (a product without the swap fails it). It
builds a backend from these entries and the CPU backend's memory functions, and checks every entry against the CPU backend on random
inputs of awkward sizes (not multiples of 256, so that the last block is
partial), and then whole training steps of every kind. The test can fail:
\.{make check} also builds it from two copies of the header with a planted
error each, one in the grid (|kit_blocks| rounds down, so the last, partial
block is left out) and one in the index (a thread forgets its block's
offset, |blockIdx.x * blockDim.x|), and requires both to fail.

What only a GPU can test is in \.{make check-cuda} (\.{tests/check\_cuda.sh}):
the CUDA trainer against the CPU trainer from the same initial weights after
two epochs on the 640-pair parity set, for every kind, each tensor within
$10^{-4}$ relative Frobenius error; the greedy translations of held-out
sentences by one model on both devices, identical; two runs on the card, and
a run with graphs, bit for bit the same checkpoint; and \.{compute-sanitizer}'s
memory check on one step. \.{make bench-cuda} (\.{tests/bench\_cuda.py})
times an epoch at the tutorial's size and at hidden 512 with batch 256,
with and without graphs, against \PB{PyTorch} on the same card, and the
products' rate as a share of cuBLAS's measured |sgemm| peak. {\it Neither
has run yet}: they were written in a session without a GPU, and checked
there only for their syntax. Their numbers go here when measured.

@** Part V: the engineering.
The last part holds what a program needs beyond its model: messages and
memory, the two-core trainer of Part I, checkpoints, the figures, the
command line and the graded exercises. A reader of the model can skip it.

@* Errors and memory.
Bad input is normal: a file with a missing tab, a word the model has never
seen, a checkpoint cut short by a full disk. Every function that can meet bad
input returns $-1$ (or |NULL|) and leaves one message, saying what is wrong and
where, in a buffer that the command line prints. Nothing in the library prints
an error itself or exits, so the tests can check the messages.
@^error messages@>

@(generated/util.c@>=
#include "attention.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
@<Utility functions@>@;

@ The message buffer is static. Only the caller's thread ever reports an
error: the trainer's second thread (see ``Two cores'') runs no code that can fail.
@<Utility functions@>=
static char last_error[2048];

int kit_fail(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return -1;
}

const char *kit_error(void)
{
  return last_error;
}

@ Running out of memory is the one failure we do not try to survive: the
sizes here are small, and a program that cannot allocate a few megabytes
cannot do anything useful. |xcalloc| says so and exits with status 1; so do
|xrealloc| and |xstrdup| below.
@<Utility functions@>=
void *xcalloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) {
    fprintf(stderr, "attention: out of memory (%zu x %zu bytes)\n", n, size);
    exit(1);
  }
  return p;
}

@ Growing an array keeps its contents, so the vocabulary and the pair lists can double in place; a string copy is the one other allocation the program needs often.
@<Utility functions@>=
void *xrealloc(void *p, size_t size)
{
  void *q = realloc(p, size ? size : 1);
  if (!q) {
    fprintf(stderr, "attention: out of memory (%zu bytes)\n", size);
    exit(1);
  }
  return q;
}

char *xstrdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *t = xcalloc(n, 1);
  memcpy(t, s, n);
  return t;
}

@ @<Prototypes@>=
int kit_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *kit_error(void);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

@* Two cores.
@^two cores@>
@^threads@>
A machine with two processor cores can train one pair in less time than one
core needs, without changing a single float of the result, if the work is
divided where the model divides: the encoder's parameters on one core, the
decoder's on the other. Each core then updates the parameters that it alone
reads. The encoder's core runs the encoder forward, hands the states $O$ and
$h_T$ over, waits while the decoder runs forward and backward, takes back
$\bar O$ and $\bar h_T$, runs the encoder backward, updates the encoder's
tensors and starts on the next pair. Meanwhile the decoder's core updates the
decoder's tensors. The two updates overlap, and so does the encoder's forward
pass of the next pair with the decoder's update:
$$\hbox{one step}\approx\hbox{decoder forward and backward}
+\max(\hbox{decoder update},\;\hbox{encoder backward, update and forward}).$$

On the machine this was written on, each part timed on its own, the
decoder's forward and backward passes took about 50 microseconds a pair, its
update about 46, and the encoder's backward pass, update and next forward
pass about 64. The formula then gives $50+\max(46,64)=114$ microseconds a step
on two cores, against $50+46+64=160$ on one. A whole step, timed as one,
took less than its parts timed apart: about 140 microseconds on one core and
about 105 on two. So the formula is an upper bound rather than a prediction;
what it does predict is the gain, $160/114=1.40$, against $140/105=1.33$
measured. Figure~7 draws two steps with these times.

\medskip
\centerline{\kitpicture{458}{100}{%
\pdfliteral{q
0.85 g 96 64 75 18 re f 0.5 w 0 G 96 64 75 18 re S
0.95 g 171 64 69 18 re f 0.5 w 0 G 171 64 69 18 re S
0.5 w 0.5 G [1.5 1.5] 0 d 240 73 m 267.00 73.00 l S [] 0 d
0.5 w 0.5 G [1.5 1.5] 0 d 96 39 m 171.00 39.00 l S [] 0 d
0.7 g 171 30 96 18 re f 0.5 w 0 G 171 30 96 18 re S
0.5 w 0 G 171 64 m 171.00 52.00 l S
0 g 171.00 48.00 m 173.20 53.50 l 168.80 53.50 l f
0.5 w 0 G 267 48 m 267.00 60.00 l S
0 g 267.00 64.00 m 264.80 58.50 l 269.20 58.50 l f
0.85 g 267 64 75 18 re f 0.5 w 0 G 267 64 75 18 re S
0.95 g 342 64 69 18 re f 0.5 w 0 G 342 64 69 18 re S
0.5 w 0.5 G [1.5 1.5] 0 d 411 73 m 438.00 73.00 l S [] 0 d
0.5 w 0.5 G [1.5 1.5] 0 d 267 39 m 342.00 39.00 l S [] 0 d
0.7 g 342 30 96 18 re f 0.5 w 0 G 342 30 96 18 re S
0.5 w 0 G 342 64 m 342.00 52.00 l S
0 g 342.00 48.00 m 344.20 53.50 l 339.80 53.50 l f
0.5 w 0 G 96 20 m 438.00 20.00 l S 0.5 w 0 G 96 17 m 96.00 20.00 l S
0.5 w 0 G 171 17 m 171.00 20.00 l S
0.5 w 0 G 240 17 m 240.00 20.00 l S
0.5 w 0 G 267 17 m 267.00 20.00 l S
0.5 w 0 G 342 17 m 342.00 20.00 l S
0.5 w 0 G 411 17 m 411.00 20.00 l S
0.5 w 0 G 438 17 m 438.00 20.00 l S
Q}%
\kitputl{0}{69}{\kitsmall decoder's core}%
\kitputl{0}{35}{\kitsmall encoder's core}%
\kitput{133.5}{70}{\kitsmall fwd + bwd $k$}%
\kitput{205.5}{70}{\kitsmall update}%
\kitput{219}{36}{\kitsmall bwd, update, fwd}%
\kitput{304.5}{70}{\kitsmall fwd + bwd $k+1$}%
\kitput{376.5}{70}{\kitsmall update}%
\kitput{390}{36}{\kitsmall bwd, update, fwd}%
\kitput{96}{7}{\kitsmall 0}%
\kitput{171}{7}{\kitsmall 50}%
\kitput{240}{7}{\kitsmall 96}%
\kitput{267}{7}{\kitsmall 114}%
\kitput{342}{7}{\kitsmall 164}%
\kitput{411}{7}{\kitsmall 210}%
\kitputl{442}{17}{\kitsmall $\mu$s}%
\kitputl{174}{55}{\kitsmall $\bar O,\bar h_T$}%
\kitputl{270}{55}{\kitsmall $O,h_T$}%
}}
\kitcaption{.95\hsize}{Figure~7. Two cores, two steps. The decoder's core runs
the decoder forward and backward (50~$\mu$s) and hands $\bar O$ and $\bar h_T$
over; while it updates the decoder's tensors (46~$\mu$s), the encoder's core
runs the encoder backward, updates its tensors and runs the next pair forward
(64~$\mu$s), and hands $O$ and $h_T$ back. Dotted lines are waits; a step
takes $50+\max(46,64)=114$~$\mu$s.}

Why not split the update of every tensor between the cores instead? That was
tried first, and it made training slower. Whenever a core writes data that
the other core has read since, the line must first be taken away from the
other core's cache, one line at a time; on the machine this was written on
that cost about 25 nanoseconds per 64-byte line, so that handing half of the
parameters (7,500 lines) back and forth cost more than the whole update.
Splitting every matrix product would hand vectors back and forth dozens of
times per pair. Here only the few lines of $O$, $h_T$, $\bar O$ and $\bar
h_T$ cross between the cores, once per pair each way.

The result is the same, bit for bit, as |train_step| one pair after another:
every tensor is computed by the same code in the same order, only on
another core (a test checks it). A |Pipeline| holds the encoder's thread and
four counters, each on its own cache line: the number of the batch posted,
the number of pairs whose encoder forward (|encoded|) and decoder backward
(|decoded|) are done, and the last batch the encoder's thread finished.
@<Model helpers@>=
struct Pipeline {
  _Atomic long job __attribute__((aligned(64)));
  _Atomic long encoded __attribute__((aligned(64)));
  _Atomic long decoded __attribute__((aligned(64)));
  _Atomic long finished __attribute__((aligned(64)));
  _Atomic int quit;
  Model *m;
  const Example *ex;
  int n; /* pairs */
  long steps; /* the batch is |steps| pairs: |ex[0]|, |ex[1]|, \dots, |ex[n-1]|, |ex[0]|, \dots */
  double lr;
  long t0; /* Adam's step count before the batch */
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
};

@ Waiting is done by {\it spinning}: reading the counter again and again,
with a pause instruction in between that tells the core to spend less power
and to let the other thread of the core run. A wait here is a few tens of
microseconds, much less than the operating system needs to put a thread to
sleep and wake it up. After a few thousand rounds the waiter yields the
core, in case the two threads share one.
@<Model helpers@>=
static inline void spin_pause(int *spins)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
  if (++*spins > 4096) sched_yield();
}

static void wait_until(_Atomic long *counter, long value)
{
  int spins = 0;
  while (atomic_load_explicit(counter, memory_order_acquire) < value) spin_pause(&spins);
}

@ The encoder's thread, pair after pair. The release stores and the acquire
loads of the counters order the memory: what one thread wrote before it
raised a counter is there for the other thread once it has seen the new
value. Adam's step $t_0+k+1$ is the same for both halves.
@<Model helpers@>=
static void encoder_pairs(struct Pipeline *p)
{
  Model *m = p->m;
  for (long k = 0; k < p->steps; k++) {
    const Example *e = &p->ex[k % p->n];
    Deferred d[N_ENC_DEFERRED];
    encoder_forward(m, e->src, e->src_len);
    atomic_store_explicit(&p->encoded, k + 1, memory_order_release);
    wait_until(&p->decoded, k + 1);
    encoder_backward(m, e, d);
    AdamConstants c = adam_constants(p->lr, 0.9, 0.999, 1e-8, p->t0 + k + 1);
    update_half(m, d, N_ENC_DEFERRED, ENC_EMB, ENC_B_HH, &c, m->act.d_enc_rows);
  }
}

@ Between batches (an epoch is a batch) the thread spins for a while, then
sleeps until the next batch or the end.
@<Model helpers@>=
static void *encoder_thread(void *arg)
{
  struct Pipeline *p = arg;
  for (long seen = 0;;) {
    int spins = 0;
    while (atomic_load_explicit(&p->job, memory_order_acquire) == seen && spins < 20000)
      spin_pause(&spins);
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->job) == seen) pthread_cond_wait(&p->wake, &p->lock);
    pthread_mutex_unlock(&p->lock);
    seen = atomic_load_explicit(&p->job, memory_order_acquire);
    if (atomic_load(&p->quit)) return NULL;
    encoder_pairs(p);
    atomic_store_explicit(&p->finished, seen, memory_order_release);
  }
}

@ The thread is started the first time it is asked for and stopped with the
model. If it cannot be started (a process limit, say), training goes on with
one core.
@<Model helpers@>=
static struct Pipeline *pipeline_start(void)
{
  struct Pipeline *p = NULL;
  if (posix_memalign((void **) &p, 64, sizeof *p) != 0) return NULL;
  memset(p, 0, sizeof *p);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  if (pthread_create(&p->thread, NULL, encoder_thread, p) != 0) {
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
    return NULL;
  }
  return p;
}

@ A job is posted under the lock, so that the thread, if it has gone to
sleep, cannot miss the signal between its test of the counter and its wait.
|pipeline_stop| posts one last job, with |quit| set, and waits for the thread
to end.
@<Model helpers@>=
static void post_job(struct Pipeline *p)
{
  pthread_mutex_lock(&p->lock);
  atomic_fetch_add_explicit(&p->job, 1, memory_order_release);
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
}

void pipeline_stop(struct Pipeline *p)
{
  if (!p) return;
  atomic_store(&p->quit, 1);
  post_job(p);
  pthread_join(p->thread, NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  free(p);
}

@ |train_pairs| trains |epochs| times over the |n| pairs of |ex| in order,
and writes each step's loss into |loss| (|n| times |epochs| of them), exactly
as that many calls of |train_step| would. With |threads| of 2 or more it
runs the encoder on a second thread; it returns the number of threads it
used. The longer the batch, the less the start and the end of it cost: at the
start the decoder waits for the encoder's first forward pass, at the end the
encoder's thread finishes alone.
@<Model functions@>=
int train_pairs(Model *m, const Example *ex, int n, long epochs, double lr, int threads,
  float *loss)
{
  long steps = (long) n * epochs;
  if (threads > 1 && !m->pipeline) m->pipeline = pipeline_start();
  struct Pipeline *p = m->pipeline;
  if (threads < 2 || !p || steps < 1) {
    for (long k = 0; k < steps; k++) loss[k] = train_step(m, &ex[k % n], lr);
    return 1;
  }
  @<Post the batch to the encoder's thread@>@;
  @<Run the decoder's half of every pair@>@;
  wait_until(&p->finished, atomic_load(&p->job));
  m->adam_t += steps;
  return 2;
}

@ The batch is described in the shared structure before the job counter is raised, so the encoder's thread sees it complete.
@<Post the batch to the encoder's thread@>=
p->m = m;
p->ex = ex;
p->n = n;
p->steps = steps;
p->lr = lr;
p->t0 = m->adam_t;
atomic_store(&p->encoded, 0);
atomic_store(&p->decoded, 0);
post_job(p);

@ The decoder's thread is the caller's. It may run pair $k$ once the encoder
has run it forward; once it has sent $\bar O$ back, it updates the
decoder's tensors while the encoder finishes pair $k$ and starts pair $k+1$.
@<Run the decoder's half of every pair@>=
for (long k = 0; k < steps; k++) {
  Deferred d[N_DEC_DEFERRED];
  wait_until(&p->encoded, k + 1);
  loss[k] = decoder_forward(m, &ex[k % n]);
  decoder_backward(m, &ex[k % n], d);
  atomic_store_explicit(&p->decoded, k + 1, memory_order_release);
  AdamConstants c = adam_constants(lr, 0.9, 0.999, 1e-8, p->t0 + k + 1);
  update_half(m, d, N_DEC_DEFERRED, DEC_EMB, N_TENSORS - 1, &c, m->act.d_rows);
}

@ @<Prototypes@>=
int train_pairs(Model *m, const Example *ex, int n, long epochs, double lr, int threads,
  float *loss);
void pipeline_stop(struct Pipeline *p);

@ @<Prototypes@>=
AdamConstants adam_constants(double lr, double beta1, double beta2, double eps, long t);
void adam_apply(float *p, const float *g, float *m, float *v, size_t n,
  const AdamConstants *k);
void adam_update(float *p, const float *g, float *m, float *v, size_t n,
  double lr, double beta1, double beta2, double eps, long t);
void optimizer_step(Model *m, double lr);
float train_step(Model *m, const Example *ex, double lr);

@* Fast kernels.
@^vectorisation@>
The model chapters of Part I give each product as a plain loop, and say what
it computes; this chapter is how the kit makes the processor's vector unit
and caches do that work quickly, with exactly the sums of the plain loops
(the tests compare them bit for bit). It holds the header's declarations of
the vector |expf| and |tanhf|, the layout of the four buffers in memory, and
the blocked products of the linear layer, forward and backward.

@ The gates of the GRU call |expf| and |tanhf| for every unit of every word.
One number at a time, these calls took a tenth of the training time. The GNU
C library has {\it vector\/} versions of both, in \.{libmvec}, that take
sixteen numbers at once, and \.{gcc} calls them from a vectorised loop when
the function is declared |simd|. The library's own header declares them only
under \.{-ffast-math}, which would also let the compiler reorder our sums, so
we declare them here. The Makefile defines |KIT_MVEC| when \.{-lmvec} links;
without it (another compiler, another C library) the loops call the ordinary
functions. The vector versions may differ from the scalar ones in the last
binary place; either way a run gives the same numbers every time on the same
machine.
@^vectorisation@>
@^libmvec@>
@<Header includes@>=
#if defined(KIT_MVEC) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define KIT_VECTOR_MATH __attribute__((__simd__("notinbranch")))
KIT_VECTOR_MATH float expf(float);
KIT_VECTOR_MATH float tanhf(float);
#endif

@ The four buffers are read and written together, element by element, by
Adam. If each were allocated on its own they would all start at the same
offset within a 4096-byte page, since large allocations are whole pages plus
a small header; then the processor, which compares only the low 12 bits of
addresses when it checks whether a load must wait for an earlier store, sees
every load of |param_mem[i]| as possibly depending on the store to
|m_mem[i]|, and waits ({\it 4K aliasing\/}). Carving the four out of one
block, each shifted by a further 64 floats, avoids it; it made Adam about a
third faster on the machine this was written on.
@:aliasing, 4K}{4K aliasing@>
@^memory layout@>
@<Carve the four buffers out of one allocation@>=
size_t stride = (m->n_params + 64 + 15) / 16 * 16 + 64;
m->param_mem = alloc_on_huge_pages(4 * stride);
m->grad_mem = m->param_mem + stride;
m->m_mem = m->grad_mem + stride;
m->v_mem = m->m_mem + stride;

@ Adam walks through the four buffers, nearly four megabytes for the
notebook's model, at every step, and the processor translates each address
through a table of pages. With the usual pages of 4 kilobytes the four
buffers span about a thousand pages, more than its fastest translation cache
holds; with the 2-megabyte pages that Linux grants to an allocation that asks
for them ({\it transparent huge pages\/}) they span two. Asking costs nothing where
it is not granted. This made training about 7 per cent faster on the machine
this was written on. The memory is zeroed, as |xcalloc|'s is.
@^huge pages@>
@^memory layout@>
@<Model helpers@>=
static float *alloc_on_huge_pages(size_t n)
{
  size_t bytes = n * sizeof(float), page = (size_t) 2 << 20;
  void *p = NULL;
  if (bytes < page) return xcalloc(n, sizeof(float));
  bytes = (bytes + page - 1) / page * page;
  if (posix_memalign(&p, page, bytes) != 0) return xcalloc(n, sizeof(float));
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);
#endif
  memset(p, 0, bytes);
  return p;
}

@ One dot product at a time leaves the vector unit idle. Each of the sixteen
lanes waits for its own previous sum before it can add again, and the final
pairwise sums use one lane in sixteen, then one in eight, and so on. A matrix
$W$ with $H=128$ columns, $3H$ rows, read for every word, spends more time in
those waits than in its multiplications. So |linear_forward| takes sixteen rows of
$W$ at once: sixteen vectors of running sums, one per row, that are independent of
one another, and a fold at the end that adds the halves of two rows' vectors
side by side, so that every addition of the fold fills a whole vector. After
four folds, lane~$r$ of the last vector holds the dot product of row~$r$.
@^vectorisation@>
@^dot product@>

The type |vec16| is a GNU C {\it vector\/} of sixteen floats: arithmetic on it
acts lane by lane, and \.{gcc} compiles it to one AVX-512 instruction or two
AVX2 ones, whichever the machine has. It is declared with the alignment of a
float, so it can be read from any row of a matrix.
@<Layer helpers@>=
typedef float vec16 __attribute__((vector_size(16 * sizeof(float)), aligned(sizeof(float))));

@ A fold takes two vectors of sums, $a$ and $b$, and the distance |d| between
the lanes to be added, and writes to |s|: lane $k$ gets $a_k+a_{k+d}$, then $b$'s sums follow,
for each group of $2d$ lanes. With $d=8$ lanes $0$--$7$ are row~$a$'s and
$8$--$15$ row~$b$'s, exactly the sums |dot| forms first (|acc[k] += acc[k + 8]|);
$d=4$ then adds within each group, as |dot| does next, and so on down to $d=1$.
The rows' sums are thus formed in the same order as by |dot|, bit for bit.
@<Layer helpers@>=
static inline void fold(vec16 *s, const vec16 *a, const vec16 *b, int d)
{
  switch (d) {
  case 8: *s = __builtin_shufflevector(*a, *b, 0, 1, 2, 3, 4, 5, 6, 7,
        16, 17, 18, 19, 20, 21, 22, 23)
      + __builtin_shufflevector(*a, *b, 8, 9, 10, 11, 12, 13, 14, 15,
        24, 25, 26, 27, 28, 29, 30, 31);
    break;
  case 4: *s = __builtin_shufflevector(*a, *b, 0, 1, 2, 3, 8, 9, 10, 11,
        16, 17, 18, 19, 24, 25, 26, 27)
      + __builtin_shufflevector(*a, *b, 4, 5, 6, 7, 12, 13, 14, 15,
        20, 21, 22, 23, 28, 29, 30, 31);
    break;
  case 2: *s = __builtin_shufflevector(*a, *b, 0, 1, 4, 5, 8, 9, 12, 13,
        16, 17, 20, 21, 24, 25, 28, 29)
      + __builtin_shufflevector(*a, *b, 2, 3, 6, 7, 10, 11, 14, 15,
        18, 19, 22, 23, 26, 27, 30, 31);
    break;
  default: *s = __builtin_shufflevector(*a, *b, 0, 2, 4, 6, 8, 10, 12, 14,
        16, 18, 20, 22, 24, 26, 28, 30)
      + __builtin_shufflevector(*a, *b, 1, 3, 5, 7, 9, 11, 13, 15,
        17, 19, 21, 23, 25, 27, 29, 31);
  }
}

@ Sixteen rows of $W$ (|C| floats apart) times one input $x$. The main loop
reads sixteen floats of $x$ once and uses them for all sixteen rows; the folds
pair rows $(0,1),(2,3),\ldots$, then those pairs, and so on, so the lanes of
the result come out in row order. Columns past the last multiple of sixteen
are added at the end, as in |dot|.
@<Layer helpers@>=
static inline __attribute__((always_inline)) void dot16(vec16 *s, const float *W, int C,
  const float *x)
{
  vec16 acc[16], f8[8], f4[4], f2[2];
  for (int r = 0; r < 16; r++) acc[r] = (vec16) {0};
  int i = 0;
  for (; i + 16 <= C; i += 16) {
    vec16 xv = *(const vec16 *) (x + i);
    for (int r = 0; r < 16; r++) acc[r] += *(const vec16 *) (W + (size_t) r * C + i) * xv;
  }
  for (int r = 0; r < 8; r++) fold(&f8[r], &acc[2 * r], &acc[2 * r + 1], 8);
  for (int r = 0; r < 4; r++) fold(&f4[r], &f8[2 * r], &f8[2 * r + 1], 4);
  for (int r = 0; r < 2; r++) fold(&f2[r], &f4[2 * r], &f4[2 * r + 1], 2);
  fold(s, &f2[0], &f2[1], 1);
  for (; i < C; i++)
    for (int r = 0; r < 16; r++) (*s)[r] += W[(size_t) r * C + i] * x[i];
}

@ For a batch, the loop over blocks of rows of $W$ is the outer one: a block
of sixteen rows (8 kilobytes when $C=128$) stays in the fastest cache while
all $B$ inputs go by. The two widths of the notebook's model, $C=H=128$ and
$C=2H=256$, get copies of |dot16| compiled for that width: the sixteen rows
are then fixed offsets from one pointer, where otherwise each needs a
register of its own to hold its address (this made the forward pass about 5
per cent faster). Rows left over when $m$ is not a multiple of sixteen
(the ten attention scores, the last words of the output vocabulary) take one
|dot| each; they get the same sums either way.
@<Layer functions@>=
void linear_forward(float *out, const float *inp, const float *weight,
  const float *bias, int B, int C, int OC)
{
  int o = 0;
  for (; o + 16 <= OC; o += 16) {
    const float *w = weight + (size_t) o * C;
    vec16 beta = bias ? *(const vec16 *) (bias + o) : (vec16) {0}, s;
    for (int b = 0; b < B; b++) {
      const float *x = inp + (size_t) b * C;
      if (C == 128) dot16(&s, w, 128, x);
      else if (C == 256) dot16(&s, w, 256, x);
      else dot16(&s, w, C, x);
      *(vec16 *) (out + (size_t) b * OC + o) = s + beta;
    }
  }
  for (; o < OC; o++) {
    const float *w = weight + (size_t) o * C;
    float beta = bias ? bias[o] : 0.0f;
    for (int b = 0; b < B; b++)
      out[(size_t) b * OC + o] = dot(w, inp + (size_t) b * C, C) + beta;
  }
}

@ The product $W^{\top}\bar y$ runs down the columns of $W$, while $W$ is
stored by rows. Adding $\bar y_i$ times row $i$ to $\bar x$, row after row,
would read and write all of $\bar x$ for every row, and each addition would
wait for the previous one to reach memory. Instead the columns are taken in
blocks of 128: a block of $\bar x$ is held in 128 running sums (eight vectors
of sixteen floats) while all rows go by, and written back once. With $H=128$
a block is a whole row, so $W$ is read straight through; blocks of 64 (two
passes over the rows, each reading half of every row) measured 20 per cent
slower on the machine this was written on. The rows are far apart in memory
($4C$ bytes) and each is read once, so the loop asks for the row four ahead
({\it prefetches\/} it) while it works on this one; that made it another 25
per cent faster there.

For a batch, |NB| rows of the batch share the pass: each block of a row of
$W$, once read, is used for all of them. Every entry of $\bar x$ still gets
its products in row order, so the sums are the same floats as one row at a
time would give.
@^prefetch@>
@^memory traffic@>
@<Layer helpers@>=
#define BLOCK 128
static inline __attribute__((always_inline)) void transposed_block(float *dx,
  const float *W, const float *dy, int C, int OC, const int NB)
{
  int j = 0;
  for (; j + BLOCK <= C; j += BLOCK) {
    vec16 acc[2][BLOCK / 16]; /* |NB| is 1 or 2 */
    for (int b = 0; b < NB; b++)
      for (int k = 0; k < BLOCK / 16; k++)
        acc[b][k] = *(const vec16 *) (dx + (size_t) b * C + j + 16 * k);
    for (int i = 0; i < OC; i++) {
      const float *w = W + (size_t) i * C + j;
      for (int k = 0; k < BLOCK; k += 16) __builtin_prefetch(w + 4 * (size_t) C + k);
      for (int k = 0; k < BLOCK / 16; k++) {
        vec16 wk = *(const vec16 *) (w + 16 * k);
        for (int b = 0; b < NB; b++) acc[b][k] += dy[(size_t) b * OC + i] * wk;
      }
    }
    for (int b = 0; b < NB; b++)
      for (int k = 0; k < BLOCK / 16; k++)
        *(vec16 *) (dx + (size_t) b * C + j + 16 * k) = acc[b][k];
  }
  @<Add the products of the columns past the last block of 128@>@;
}

@ Columns past the last whole block (there are none when $C$ is a multiple of
128, as in the notebook's model) take one sum at a time, in the same order of
rows.
@<Add the products of the columns past the last block of 128@>=
for (; j < C; j++)
  for (int b = 0; b < NB; b++) {
    float s = dx[(size_t) b * C + j];
    for (int i = 0; i < OC; i++) s += dy[(size_t) b * OC + i] * W[(size_t) i * C + j];
    dx[(size_t) b * C + j] = s;
  }

@ Two rows of the batch at a time fill sixteen vector registers with sums.
@<Layer helpers@>=
static void add_transposed_products(float *dx, const float *W, const float *dy,
  int B, int C, int OC)
{
  int b = 0;
  for (; b + 2 <= B; b += 2)
    transposed_block(dx + (size_t) b * C, W, dy + (size_t) b * OC, C, OC, 2);
  for (; b < B; b++) transposed_block(dx + (size_t) b * C, W, dy + (size_t) b * OC, C, OC, 1);
}

@ The weight gradient of row $i$ of $W$ is $\sum_b\bar y_{b,i}\,x_b$, a sum
over the $B$ rows of the batch. A block of rows and columns of the gradient is
held in registers while the batch goes by: |R| rows by 32 columns (two vectors
each), so that each vector of $x_b$ read from memory serves |R| rows. Each
entry starts from the gradient already there (|add|) or from zero, and gets
its $B$ products in batch order, whatever the blocking, so every way of
calling it gives the same floats. The gradients $\bar y_{b,i}$ are |stride|
floats apart.
@<Layer helpers@>=
static inline __attribute__((always_inline)) void outer_block(float *dw,
  const float *dy, int stride, const float *x, int B, int C, const int R, const int add)
{
  int j = 0;
  for (; j + 32 <= C; j += 32) {
    vec16 a[8][2]; /* |R| is at most 8 */
    for (int r = 0; r < R; r++)
      for (int h = 0; h < 2; h++)
        a[r][h] = add ? *(const vec16 *) (dw + (size_t) r * C + j + 16 * h) : (vec16) {0};
    for (int b = 0; b < B; b++) {
      vec16 x0 = *(const vec16 *) (x + (size_t) b * C + j);
      vec16 x1 = *(const vec16 *) (x + (size_t) b * C + j + 16);
      for (int r = 0; r < R; r++) {
        float d = dy[(size_t) b * stride + r];
        a[r][0] += d * x0;
        a[r][1] += d * x1;
      }
    }
    for (int r = 0; r < R; r++)
      for (int h = 0; h < 2; h++) *(vec16 *) (dw + (size_t) r * C + j + 16 * h) = a[r][h];
  }
  @<Add the products of the columns past the last block of 32@>@;
}

@ Here too the columns left over, past the last multiple of 32, get their
products one at a time, in batch order.
@<Add the products of the columns past the last block of 32@>=
for (; j < C; j++)
  for (int r = 0; r < R; r++) {
    float g = add ? dw[(size_t) r * C + j] : 0.0f;
    for (int b = 0; b < B; b++) g += dy[(size_t) b * stride + r] * x[(size_t) b * C + j];
    dw[(size_t) r * C + j] = g;
  }

@ Eight rows at a time fill sixteen vector registers with sums, which is as
many as leaves room for $x$ and the broadcast $\bar y$. The function either
adds the gradients of |rows| rows to |dw| or, for the optimizer that uses them
at once, sets them.
@<Layer helpers@>=
void outer_products(float *dw, const float *dy, int stride,
  const float *x, int B, int C, int rows, int add)
{
  int r = 0;
  if (add) {
    for (; r + 8 <= rows; r += 8) outer_block(dw + (size_t) r * C, dy + r, stride, x, B, C, 8, 1);
    for (; r < rows; r++) outer_block(dw + (size_t) r * C, dy + r, stride, x, B, C, 1, 1);
  } else {
    for (; r + 8 <= rows; r += 8) outer_block(dw + (size_t) r * C, dy + r, stride, x, B, C, 8, 0);
    for (; r < rows; r++) outer_block(dw + (size_t) r * C, dy + r, stride, x, B, C, 1, 0);
  }
}

@* Checkpoints in the safetensors format.
@^safetensors@>
@^checkpoint@>
@^PyTorch parity@>
A trained model is a file. The kit uses {\it safetensors}, the format that
\PB{PyTorch} users share models in, so that a model trained by the notebook
can be translated with here and a model trained here can be loaded into
\PB{PyTorch}. The format is simple enough to describe in full:

\item{1.} eight bytes: the length $N$ of the header, an unsigned little-endian
integer;
\item{2.} $N$ bytes of JSON, an object with one entry per tensor, its name
mapped to its type, shape and place in the data, such as
$$\hbox{\.{\{"dtype":"F32","shape":[16,128],"data\_offsets":[0,8192]\}}}$$
and an optional entry \.{\_\_metadata\_\_} that maps names to strings;
\item{3.} the data: each tensor's numbers, row-major and little-endian, at
its offsets counted from the end of the header.

\noindent Nothing in the file can execute code, unlike \PB{PyTorch}'s pickle
files; a reader only has to check that the header tells the truth about the
data. The kit's tensors have the names and shapes of the notebook's
\.{state\_dict}, and the metadata holds what else a reader needs to use them:
the two vocabularies (each a JSON array of its words in index order, stored
as a string, since metadata values must be strings), the hidden size, the
maximum length and the kind of attention.

The JSON is written and read with the cJSON library.
@^cJSON@>

@(generated/checkpoint.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
@<Checkpoint helpers@>@;
@<Checkpoint functions@>@;

@ Numbers are written and read as little-endian bytes whatever the machine's
own order, one byte at a time.
@<Checkpoint functions@>=
static void put_f32(unsigned char *b, float x)
{
  uint32_t u;
  memcpy(&u, &x, 4);
  for (int k = 0; k < 4; k++) b[k] = (unsigned char) (u >> (8 * k));
}

static float get_f32(const unsigned char *b)
{
  uint32_t u = 0;
  for (int k = 0; k < 4; k++) u |= (uint32_t) b[k] << (8 * k);
  float x;
  memcpy(&x, &u, 4);
  return x;
}

@ A vocabulary becomes a JSON array of strings, printed compactly.
@<Checkpoint functions@>=
static char *vocab_to_json(const Vocab *v)
{
  cJSON *a = cJSON_CreateArray();
  for (int k = 0; k < v->n; k++) cJSON_AddItemToArray(a, cJSON_CreateString(v->word[k]));
  char *s = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return s;
}

@ Both parts of the kit save through one writer. What it needs of a model is
a {\it view\/}: the kind, the sizes, the vocabularies, the list of tensors in
the buffer's order, and the numbers on the host.
@<Types@>=
typedef struct {
  int kind, heads;
  const Config *cfg;
  const Vocab *vin, *vout;
  int n; /* tensors */
  const TensorSpec *spec; /* in the order of |data| */
  const float *data;
  size_t n_params;
} CkptView;

@ The header lists the tensors in the order of the buffer, which is also the
order of their data, so the offsets are a running sum. It is padded with
spaces to a multiple of eight bytes, as the format's own writer does, so that
the data that follows is aligned.
@<Checkpoint functions@>=
static char *checkpoint_header(const CkptView *m, size_t *len)
{
  const TensorSpec *s = m->spec;
  cJSON *root = cJSON_CreateObject();
  @<Add the metadata: the vocabularies, the sizes and the kind of attention@>@;
  @<Add one entry per tensor, with its shape and its place in the data@>@;
  char *json = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  size_t n = strlen(json), padded = (n + 7) / 8 * 8;
  json = xrealloc(json, padded + 1);
  memset(json + n, ' ', padded - n);
  json[padded] = '\0';
  *len = padded;
  return json;
}

@ The metadata comes first in the header, as the format's own writer puts it.
@<Add the metadata: the vocabularies, the sizes and the kind of attention@>=
cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
char *vin = vocab_to_json(m->vin), *vout = vocab_to_json(m->vout), num[32];
cJSON_AddStringToObject(meta, "input_vocab", vin);
cJSON_AddStringToObject(meta, "output_vocab", vout);
snprintf(num, sizeof num, "%d", m->cfg->H);
cJSON_AddStringToObject(meta, "hidden_size", num);
snprintf(num, sizeof num, "%d", m->cfg->L);
cJSON_AddStringToObject(meta, "max_length", num);
cJSON_AddStringToObject(meta, "attention", kind_names[m->kind]);
snprintf(num, sizeof num, "%d", m->heads);
if (m->kind == KIND_MULTIHEAD) cJSON_AddStringToObject(meta, "heads", num);
free(vin);
free(vout);

@ A matrix has the shape $[{\it rows},{\it cols}]$, a vector $[{\it rows}]$.
@<Add one entry per tensor, with its shape and its place in the data@>=
size_t off = 0;
for (int k = 0; k < m->n; k++) {
  cJSON *t = cJSON_AddObjectToObject(root, s[k].name);
  cJSON_AddStringToObject(t, "dtype", "F32");
  cJSON *shape = cJSON_AddArrayToObject(t, "shape");
  cJSON_AddItemToArray(shape, cJSON_CreateNumber(s[k].rows));
  if (s[k].cols) cJSON_AddItemToArray(shape, cJSON_CreateNumber(s[k].cols));
  cJSON *offs = cJSON_AddArrayToObject(t, "data_offsets");
  cJSON_AddItemToArray(offs, cJSON_CreateNumber((double) off));
  off += 4 * spec_numel(&s[k]);
  cJSON_AddItemToArray(offs, cJSON_CreateNumber((double) off));
}

@ A save replaces its target by renaming a new file over it, and a rename
replaces whatever has the name: run as root, \.{train --save /dev/null} would
turn the device into a regular file, and a symbolic link would be replaced by
a file rather than followed. So every save (the checkpoint, the loss log, the
figures) first asks |save_target_check|, which accepts a name that does not
exist yet or is a regular file, and refuses anything else with a message that
says what the name is. (It is a utility, in \.{util.c}, because the
figures, which some programs link without the checkpoints, use it too.)
@^atomic write@>
@<Utility functions@>+=
int save_target_check(const char *path)
{
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 :
    kit_fail("%s: cannot write: %s", path, strerror(errno));
  if (S_ISREG(st.st_mode)) return 0;
  return kit_fail("%s: will not replace it: it exists and is not a regular file (%s)", path,
    S_ISDIR(st.st_mode) ? "a folder" : S_ISLNK(st.st_mode) ? "a symbolic link" :
    S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : S_ISFIFO(st.st_mode) ?
    "a named pipe" : "a socket");
}

@ A checkpoint is written to a temporary file in the same folder and renamed
over the target only when every byte is on disk: a crash, a full disk or a
kill leaves either the old file or the new one, never half of one. The
temporary file is removed when anything fails.
@^atomic write@>
@<Checkpoint functions@>=
static int checkpoint_write(const CkptView *m, const char *path)
{
  if (save_target_check(path)) return -1;
  size_t hlen;
  char *header = checkpoint_header(m, &hlen);
  char *tmp = xcalloc(strlen(path) + 16, 1);
  sprintf(tmp, "%s.tmp-XXXXXX", path);
  int fd = mkstemp(tmp), ok = fd >= 0;
  if (!ok) {
    kit_fail("%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    free(tmp);
    free(header);
    return -1;
  }
  FILE *f = fdopen(fd, "wb");
  @<Write the length, the header and the data to |f|@>@;
  @<Put the bytes on disk and rename the temporary file over |path|@>@;
  int status = ok ? 0 : refused ? -1 :
  kit_fail("%s: cannot write the checkpoint: %s", path, strerror(errno));
  if (!ok) unlink(tmp);
  free(tmp);
  free(header);
  return status;
}

@ |fsync| waits until the bytes are on the disk, not just in the system's
buffers; only then is the rename safe. |mkstemp| made the file readable by its
owner only; a checkpoint is as readable as any other file. The target is
checked again just before the rename: it may have been made while the bytes
were written.
@<Put the bytes on disk and rename the temporary file over |path|@>=
if (ok) ok = fflush(f) == 0 && fsync(fd) == 0 && fchmod(fd, 0644) == 0;
ok = (fclose(f) == 0) && ok;
int refused = ok && save_target_check(path) != 0;
if (ok) ok = !refused && rename(tmp, path) == 0;

@ The data are written in blocks of 1024 floats, converted to little-endian bytes, so that a big-endian machine writes the same file.
@<Write the length, the header and the data to |f|@>=
unsigned char len8[8], buf[4096];
for (int k = 0; k < 8; k++) len8[k] = (unsigned char) ((uint64_t) hlen >> (8 * k));
ok = ok && fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen;
for (size_t i = 0; ok && i < m->n_params; i += 1024) {
  size_t k = m->n_params - i < 1024 ? m->n_params - i : 1024;
  for (size_t j = 0; j < k; j++) put_f32(buf + 4 * j, m->data[i + j]);
  ok = fwrite(buf, 4, k, f) == k;
}

@ Part I's model is its own view; Part II's keeps only the tensors its kind
uses, in the buffer's order, and brings the numbers back from the backend.
@<Checkpoint functions@>=
int checkpoint_save(const Model *m, const char *path)
{
  TensorSpec s[N_TENSORS];
  tensor_specs(&m->cfg, s);
  CkptView v = {KIND_SEED, 1, &m->cfg, &m->vin, &m->vout, N_TENSORS, s, m->param_mem,
    m->n_params};
  return checkpoint_write(&v, path);
}

int bcheckpoint_save(const BModel *bm, const char *path)
{
  TensorSpec s[NP_TENSORS];
  int n = 0;
  for (int k = 0; k < NP_TENSORS; k++) if (bm->spec[k].rows) s[n++] = bm->spec[k];
  float *host = xcalloc(bm->n_params, sizeof(float));
  bm->be->download(host, bm->p, bm->n_params * sizeof(float));
  CkptView v = {bm->kind, bm->heads, &bm->cfg, &bm->vin, &bm->vout, n, s, host, bm->n_params};
  int status = checkpoint_write(&v, path);
  free(host);
  return status;
}

@ @<Prototypes@>=
int save_target_check(const char *path);
int checkpoint_save(const Model *m, const char *path);
int bcheckpoint_save(const BModel *bm, const char *path);
int checkpoint_load(Model *m, const char *path);
int checkpoint_load_any(const char *path, Model *m, BModel *bm, const Backend *be, int B_cap);

@ Loading trusts nothing. The file may be cut short, its header may lie about
its length or about the tensors' places, it may come from a different model.
Every check below names the file and what is wrong. The model is built only
when all checks have passed, so a failed load leaves nothing half made.
@<Checkpoint functions@>=
int checkpoint_load(Model *m, const char *path)
{
  return checkpoint_load_any(path, m, NULL, NULL, 0) < 0 ? -1 : 0;
}

@ The loader of both parts reads the kind from the metadata, and builds
Part I's |Model| or Part II's |BModel| (on the backend |be|, for batches of up
to |B_cap| sentences), whichever of the two the caller passed and the file
holds. It returns the kind, or $-1$.
@<Checkpoint functions@>=
int checkpoint_load_any(const char *path, Model *m, BModel *bm, const Backend *be, int B_cap)
{
  FILE *f = fopen(path, "rb");
  if (!f) return kit_fail("%s: cannot open: %s", path, strerror(errno));
  char *header = NULL;
  unsigned char *data = NULL;
  cJSON *root = NULL;
  Vocab vin = {0}, vout = {0};
  Config cfg = {0};
  int status = -1, kind = 0, heads = 1;
  size_t data_size = 0;
  @<Read the header length and check it against the file's size@>@;
  @<Read the header and parse it@>@;
  @<Read the configuration and the vocabularies from the metadata@>@;
  @<Check every tensor of the header against the model's@>@;
  @<Read the data and build the model@>@;
done:
  @<Free what the load made, and the vocabularies unless the model took them@>@;
  return status;
}

@ After a successful load the model owns the vocabularies; after a failure nobody does, and they are freed here.
@<Free what the load made, and the vocabularies unless the model took them@>=
if (status < 0) {
  if (vin.word) vocab_free(&vin);
  if (vout.word) vocab_free(&vout);
}
cJSON_Delete(root);
free(header);
free(data);
fclose(f);

@ The length of the header must leave room for it in the file. The
safetensors format caps it at 100 megabytes; so do we.
@<Read the header length and check it against the file's size@>=
struct stat st;
if (fstat(fileno(f), &st) != 0) {
  kit_fail("%s: cannot stat: %s", path, strerror(errno));
  goto done;
}
unsigned char len8[8];
if (st.st_size < 8 || fread(len8, 1, 8, f) != 8) {
  kit_fail("%s: the file has %lld bytes, too few for a safetensors file", path,
    (long long) st.st_size);
  goto done;
}
uint64_t hlen = 0;
for (int k = 0; k < 8; k++) hlen |= (uint64_t) len8[k] << (8 * k);
if (hlen == 0 || hlen > (uint64_t) st.st_size - 8 || hlen > 100000000) {
  kit_fail("%s: the header claims %llu bytes but %lld bytes follow the length field",
    path, (unsigned long long) hlen, (long long) st.st_size - 8);
  goto done;
}
data_size = (size_t) ((uint64_t) st.st_size - 8 - hlen);

@ After the JSON object only spaces may follow (the padding): a header with
anything else after its object has been damaged or forged.
@<Read the header and parse it@>=
header = xcalloc((size_t) hlen + 1, 1);
if (fread(header, 1, (size_t) hlen, f) != hlen) {
  kit_fail("%s: cannot read the %llu-byte header", path, (unsigned long long) hlen);
  goto done;
}
const char *end = NULL;
root = cJSON_ParseWithLengthOpts(header, (size_t) hlen, &end, 0);
if (!root || !cJSON_IsObject(root)) {
  const char *e = cJSON_GetErrorPtr();
  kit_fail("%s: the header is not a JSON object (error near header byte %ld)", path,
    e && e >= header && e <= header + hlen ? (long) (e - header) : 0L);
  goto done;
}
for (const char *q = end; q < header + hlen; q++)
  if (*q != ' ') {
    kit_fail("%s: the header has bytes other than spaces after its JSON object "
      "(header byte %ld)", path, (long) (q - header));
    goto done;
  }

@ Metadata values are strings, so the two sizes are strings of digits. The
vocabularies are JSON inside a JSON string: they are parsed a second time.
@<Read the configuration and the vocabularies from the metadata@>=
cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
const char *att = meta_string(meta, "attention", path);
if (!att) goto done;
@<Find the kind of attention |att|, and check that the caller can take it@>@;
if (meta_int(meta, "hidden_size", path, 1, 1 << 16, &cfg.H) || meta_int(meta,
  "max_length", path, 1, DEFAULT_MAX_LENGTH * 4, &cfg.L)) goto done;
if (meta_vocab(meta, "input_vocab", path, &vin) || meta_vocab(meta,
  "output_vocab", path, &vout)) goto done;
cfg.V_in = vin.n;
cfg.V_out = vout.n;
if (kind == KIND_MULTIHEAD) {
  if (meta_int(meta, "heads", path, 1, cfg.H, &heads)) goto done;
  if (cfg.H % heads) {
    kit_fail("%s: %d heads do not divide the hidden size %d", path, heads, cfg.H);
    goto done;
  }
}

@ A checkpoint of the notebook's kind loads into a Part I model, and one of the other kinds into a batched model; a caller with room for only one of the two gets a message that names both.
@<Find the kind of attention |att|, and check that the caller can take it@>=
kind = kind_from_name(att);
if (kind < 0) {
  kit_fail("%s: attention \"%s\" is not a kind this kit knows (seed, bahdanau, "
    "luong-dot, luong-general, multihead)", path, att);
  goto done;
}
if ((kind == KIND_SEED && !m) || (kind != KIND_SEED && !bm)) {
  kit_fail("%s: a model with %s attention, where this needs %s", path, att,
    m ? "the notebook's (seed)" : "one of Part II's kinds");
  goto done;
}

@ Metadata values are all strings, by the format's rule; these helpers read one and check it, naming the key in every message.
@<Checkpoint helpers@>=
static const char *meta_string(const cJSON *meta, const char *key, const char *path)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
  if (!cJSON_IsObject(meta)) kit_fail("%s: the header has no __metadata__ object", path);
  else if (!cJSON_IsString(v)) kit_fail("%s: the metadata has no string \"%s\"", path, key);
  else return v->valuestring;
  return NULL;
}

static int meta_int(const cJSON *meta, const char *key, const char *path,
  long lo, long hi, int *out)
{
  const char *s = meta_string(meta, key, path);
  if (!s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return kit_fail("%s: metadata \"%s\" is \"%s\", not a whole number from %ld to %ld",
      path, key, s, lo, hi);
  *out = (int) v;
  return 0;
}

@ A vocabulary must start with the two special words and hold each word once,
or the word numbers would not mean what the weights think they mean.
@<Checkpoint helpers@>=
static int meta_vocab(const cJSON *meta, const char *key, const char *path, Vocab *v)
{
  const char *s = meta_string(meta, key, path);
  if (!s) return -1;
  cJSON *a = cJSON_Parse(s);
  int n = cJSON_GetArraySize(a), status = 0;
  if (!cJSON_IsArray(a) || n < 2)
    status = kit_fail("%s: metadata \"%s\" is not a JSON array of at least two words",
      path, key);
  vocab_init(v);
  for (int k = 0; status == 0 && k < n; k++) {
    const cJSON *w = cJSON_GetArrayItem(a, k);
    if (!cJSON_IsString(w) || !*w->valuestring || strlen(w->valuestring) >= MAX_WORD_BYTES)
      status = kit_fail("%s: word %d of \"%s\" is not a non-empty string of fewer than %d bytes",
        path, k, key, MAX_WORD_BYTES);
    else if ((k < 2 ? vocab_find(v, w->valuestring) != k : vocab_add(v, w->valuestring) != k))
      status = kit_fail("%s: word %d of \"%s\", \"%s\", is %s", path, k, key,
        w->valuestring, k < 2 ? "not the special word expected there" : "a repeat");
  }
  cJSON_Delete(a);
  return status;
}

@ Each tensor of the header must be one of the model's, once, with dtype F32,
the model's shape, and a place inside the data of exactly its size. The
places must not overlap, and together they must cover the data exactly.
@<Check every tensor of the header against the model's@>=
TensorSpec spec[NP_TENSORS];
int n_spec = 0;
@<Set |spec| to the tensors of a |kind| model, in the buffer's order@>@;
size_t begin[NP_TENSORS];
int seen[NP_TENSORS] = {0};
@<Match each entry of the header with a tensor of the model, and check it@>@;
@<Make sure that no tensor of the model is missing@>@;
if (check_tiling(spec, n_spec, begin, data_size, path)) goto done;

@ Part I's sixteen tensors, or those of Part II's kind, skipping what the kind
does not use.
@<Set |spec| to the tensors of a |kind| model, in the buffer's order@>=
if (kind == KIND_SEED) {
  tensor_specs(&cfg, spec);
  n_spec = N_TENSORS;
} else {
  TensorSpec all[NP_TENSORS];
  batched_specs(kind, &cfg, all);
  for (int k = 0; k < NP_TENSORS; k++) if (all[k].rows) spec[n_spec++] = all[k];
}

@ The header's entries may come in any order.
@<Match each entry of the header with a tensor of the model, and check it@>=
for (const cJSON *t = root->child; t; t = t->next) {
  if (strcmp(t->string, "__metadata__") == 0) continue;
  int k = 0;
  while (k < n_spec && strcmp(spec[k].name, t->string) != 0) k++;
  if (k == n_spec) {
    kit_fail("%s: unexpected tensor \"%s\" (not part of a model with %s attention)",
      path, t->string, kind_names[kind]);
    goto done;
  }
  if (seen[k]++) {
    kit_fail("%s: tensor \"%s\" appears twice", path, t->string);
    goto done;
  }
  if (check_tensor(t, &spec[k], data_size, &begin[k], path)) goto done;
}

@ A tensor missing from the file would leave its parameters unset, so it is an error, named.
@<Make sure that no tensor of the model is missing@>=
for (int k = 0; k < n_spec; k++)
  if (!seen[k]) {
    kit_fail("%s: tensor \"%s\" is missing (a model with %s attention has it)", path,
      spec[k].name, kind_names[kind]);
    goto done;
  }

@ A tensor entry is checked in three parts: its type, its shape, and its
place in the data.
@<Checkpoint helpers@>=
static int check_tensor(const cJSON *t, const TensorSpec *s, size_t data_size,
  size_t *begin, const char *path)
{
  const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t, "dtype");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
  const cJSON *offs = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
  if (!cJSON_IsString(dtype) || strcmp(dtype->valuestring, "F32") != 0)
    return kit_fail("%s: tensor \"%s\" has dtype %s; the kit reads F32 only", path,
      s->name, cJSON_IsString(dtype) ? dtype->valuestring : "(none)");
  @<Check the shape of the tensor, or fail showing the shape found@>@;
  @<Check that the tensor's offsets give its size inside the data@>@;
  return 0;
}

@ The message shows the shape in the file next to the one the model needs, since a mismatch usually means a model of another size.
@<Check the shape of the tensor, or fail showing the shape found@>=
int nd = s->cols ? 2 : 1, ok = cJSON_IsArray(shape) && cJSON_GetArraySize(shape) == nd;
for (int d = 0; ok && d < nd; d++) {
  const cJSON *x = cJSON_GetArrayItem(shape, d);
  ok = cJSON_IsNumber(x) && x->valuedouble == (d ? s->cols : s->rows);
}
if (!ok) {
  char *got = cJSON_PrintUnformatted(shape);
  int r = s->cols ? kit_fail("%s: tensor \"%s\" has shape %s; this model needs [%d,%d]",
    path, s->name, got ? got : "(none)", s->rows, s->cols)
    : kit_fail("%s: tensor \"%s\" has shape %s; this model needs [%d]", path, s->name,
    got ? got : "(none)", s->rows);
  free(got);
  return r;
}

@ JSON numbers are doubles; offsets must be whole, the start not negative, the
end inside the data, and the difference exactly four bytes per element.
@<Check that the tensor's offsets give its size inside the data@>=
const cJSON *b = cJSON_GetArrayItem(offs, 0), *e = cJSON_GetArrayItem(offs, 1);
double need = 4.0 * (double) spec_numel(s);
if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || !cJSON_IsNumber(b)
  || !cJSON_IsNumber(e) || b->valuedouble < 0 || b->valuedouble != floor(b->valuedouble)
  || e->valuedouble > (double) data_size || e->valuedouble - b->valuedouble != need)
  return kit_fail("%s: tensor \"%s\" has data offsets that do not give %.0f bytes "
    "inside the %zu bytes of data", path, s->name, need, data_size);
*begin = (size_t) b->valuedouble;

@ Sorting sixteen ranges by their start is a few comparisons; then each must
start where the previous one ended.
@<Checkpoint helpers@>=
static int check_tiling(const TensorSpec *s, int n, const size_t *begin, size_t data_size,
  const char *path)
{
  int order[NP_TENSORS];
  for (int k = 0; k < n; k++) order[k] = k;
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && begin[order[j]] < begin[order[j - 1]]; j--) {
      int x = order[j];
      order[j] = order[j - 1];
      order[j - 1] = x;
    }
  size_t at = 0;
  for (int i = 0; i < n; i++) {
    int k = order[i];
    if (begin[k] != at)
      return kit_fail("%s: tensor \"%s\" starts at data byte %zu, but %s at %zu",
        path, s[k].name, begin[k], begin[k] < at ? "the previous tensor ends" :
        "the gap before it starts", at);
    at += 4 * spec_numel(&s[k]);
  }
  if (at != data_size)
    return kit_fail("%s: %zu bytes after the last tensor belong to none", path, data_size - at);
  return 0;
}

@ Only now, with every check passed, is the model made; the bytes are converted from little-endian floats one at a time.
@<Read the data and build the model@>=
data = xcalloc(data_size, 1);
if (fread(data, 1, data_size, f) != data_size) {
  kit_fail("%s: cannot read the %zu bytes of data", path, data_size);
  goto done;
}
float *host = xcalloc(data_size / 4 + 1, sizeof(float)), *at = host;
for (int k = 0; k < n_spec; k++)
  for (size_t i = 0; i < spec_numel(&spec[k]); i++) *at++ = get_f32(data + begin[k] + 4 * i);
if (kind == KIND_SEED) {
  model_alloc(m, &cfg, &vin, &vout);
  memcpy(m->param_mem, host, m->n_params * sizeof(float));
} else {
  bmodel_alloc(bm, be, kind, heads, &cfg, &vin, &vout, B_cap);
  be->upload(bm->p, host, bm->n_params * sizeof(float));
}
free(host);
status = kind;

@* Figures drawn with Cairo.
@^figures@>
@^heatmap@>
@^Cairo@>
People do not read a matrix of attention weights; they look at it. The
notebook ends by drawing the weights of a few translations as {\it
heatmaps\/}: one row for each French word the decoder wrote, one column for
each English word it read, and each cell coloured by the weight that the
decoder gave that English word while it wrote that French word. It also
never shows how training went, except as eight printed numbers. This chapter
draws both pictures in C with the Cairo graphics library: the heatmaps in the
notebook's two styles (\PB{matplotlib}'s \.{imshow} with the colormap
`bone', and \PB{seaborn}'s \.{heatmap} with `YlOrRd' and a border around every
cell) and the curve of the average loss per epoch.

The figures in this book are the very files that \.{make run} draws, embedded
as they are: Figure~8 is the attention of the trained model on the first of
the notebook's sentences, drawn by \.{attention heatmap}.
@^make run@>

\kitfigure{../figures/heatmap-bone-i-am-a-student.pdf}{.95\hsize}{Figure~8.
The attention of the trained model on ``i am a student''. It is the model
that \.{make run} trains, in the notebook's first style. Rows are the words the decoder wrote, columns
the words it read; a light cell is a large weight.}

@ The figures are written by one more file of the library. Its functions are
grouped by what they do: the colormaps; text, lines and boxes on a Cairo
context; the layout and drawing of a heatmap; the loss curve; and the writing
of a figure into a \.{.png}, \.{.pdf} or \.{.svg} file. Only this file
includes Cairo's headers; what the rest of the program sees (in
\.{attention.h}) are the plain types below.
@s Colormap int
@s Heatmap int
@s HeatmapLayout int
@s HeatmapTexts int
@s HeatmapJob int
@s FigBox int
@s FigImage int
@s FigFont int
@s Canvas int
@s Buf int
@s Curve int
@s CurveJob int
@s Axis int
@s Ticks int
@s DrawFn int
@s mode_t int
@s time_t int
@s cairo_t int
@s cairo_surface_t int
@s cairo_pattern_t int
@s cairo_status_t int
@s cairo_text_extents_t int
@s cairo_font_extents_t int
@s cairo_font_options_t int

@(generated/figures.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <strings.h>
#include <time.h>
#include <utf8proc.h>
@<Colormap data@>@;
@<Figure helpers@>@;
@<Figure functions@>@;

@*1 Colormaps.
@^colormap@>
@^matplotlib@>
A heatmap turns a number into a colour in two steps. First the number $w$ is
{\it normalised\/} into $[0,1]$ by the range of the colour scale,
$t=(w-v_{\min})/(v_{\max}-v_{\min})$; then a {\it colormap\/} gives the colour
of $t$. \PB{matplotlib}'s \.{imshow} and \PB{seaborn}'s \.{heatmap}, as the
notebook calls them, both take $v_{\min}$ and $v_{\max}$ from the data: the
smallest weight in the picture is the colormap's first colour and the largest
its last. So does this chapter by default; \.{--scale unit} fixes the scale
to $[0,1]$ instead, which makes the pictures of different sentences
comparable. A matrix whose weights are all equal has no range; the scale is
then widened by a tenth of the value on each side (by $0.1$ when the value
is zero), so its cells take the middle colour and the colorbar keeps
readable ticks.
@^colour scale@>

A colormap for magnitudes should be {\it sequential\/}: its lightness should
grow (or fall) steadily from one end to the other, so that the eye reads
``more'' in one direction without a legend, and the picture survives
printing in grey. Rainbow maps fail that test: their bright yellow in the
middle reads as a peak that is not in the data. Both maps here pass it.
`bone' is a grey with a tinge of blue, from MATLAB, where it is $7/8$ of the
grey ramp plus $1/8$ of the `hot' map with its red and blue channels
swapped; it runs from black to white,
so in the notebook's figure a large weight is a light cell. `YlOrRd' is one
of Cynthia Brewer's ColorBrewer schemes~\cite{brewer}, designed for maps: light yellow
through orange to dark red, so a large weight is a dark cell.
@^ColorBrewer@>
@^bone colormap@>
@^YlOrRd colormap@>

Both are defined by {\it control points\/}: for each of red, green and blue,
a list of positions $x_0=0<x_1<\cdots<x_{n-1}=1$ with the channel's value at
each, and straight lines in between. This is how \PB{matplotlib}'s
\.{LinearSegmentedColormap} is defined; its entries may also jump at a point
(a different value from the left and from the right), which neither of our
maps does, so one value per point is enough.
@<Types@>=
#define COLORMAP_MAX_POINTS 9
typedef struct {
  const char *name;
  int n[3]; /* control points of red, green, blue */
  double x[3][COLORMAP_MAX_POINTS]; /* their positions, from 0 up to 1 */
  double v[3][COLORMAP_MAX_POINTS]; /* the channel's value there */
} Colormap;

@ The numbers of `bone' are \PB{matplotlib}'s, from the table \.{\_bone\_data}
in its source file \.{lib/matplotlib/}\allowbreak\.{\_cm.py}: red has a bend at
$x=0.746032$, blue one at $x=0.365079$, green both. (The positions are
$23/63$ and $47/63$ to six places, entries of a 64-entry table, the size
of MATLAB's colormaps. Red, for instance, is $7/8$ of the grey ramp,
$0.875\times0.746032=0.652778$, until `hot' starts to add its blue.)
@<Colormap data@>=
const Colormap colormap_bone = {"bone", {3, 4, 3},@/
  {{0.0, 0.746032, 1.0},@/ {0.0, 0.365079, 0.746032, 1.0},@/ {0.0, 0.365079, 1.0}},@/
  {{0.0, 0.652778, 1.0},@/ {0.0, 0.319444, 0.777778, 1.0},@/ {0.0, 0.444444, 1.0}}};

@ `YlOrRd' has nine colours, the nine-class sequential scheme of ColorBrewer
(in \PB{matplotlib}'s \.{\_cm.py} they are the table \.{\_YlOrRd\_data}, the
same bytes divided by 255). \PB{matplotlib} spaces the colours evenly when
it builds the map (with the method \.{from\_list} of the class
\.{LinearSegmentedColormap}): colour $k$ sits at $x=k/8$, in all three
channels. The bytes are, as hexadecimal
colours, \.{ffffcc}, \.{ffeda0}, \.{fed976}, \.{feb24c}, \.{fd8d3c},
\.{fc4e2a}, \.{e31a1c}, \.{bd0026}, \.{800026}.
@<Colormap data@>=
#define B8(b) ((b) / 255.0)
#define EIGHTHS {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0}
const Colormap colormap_ylorrd = {"ylorrd", {9, 9, 9}, {EIGHTHS, EIGHTHS, EIGHTHS},@/
  {{B8(255), B8(255), B8(254), B8(254), B8(253), B8(252), B8(227), B8(189), B8(128)},@/
   {B8(255), B8(237), B8(217), B8(178), B8(141), B8(78), B8(26), B8(0), B8(0)},@/
   {B8(204), B8(160), B8(118), B8(76), B8(60), B8(42), B8(28), B8(38), B8(38)}}};

@ The colour of $t$ is found channel by channel: find the segment
$x_k\le t\le x_{k+1}$ of the channel's control points and interpolate
linearly between the values at its ends. A $t$ outside $[0,1]$ (and a NaN,
which can come from a broken model) is first clamped to the nearest end. For
example, `bone' at $t=0.5$: red is on its first segment,
$0.5/0.746032\cdot0.652778=0.4375$; green on its second,
$0.319444+{0.5-0.365079\over0.746032-0.365079}\,(0.777778-0.319444)=0.4818$;
blue on its second too, $0.5625$.
This is exercise~11: the colour of a heatmap cell from the colormap.

\PB{matplotlib} does one thing more: it samples the colormap at 256 points
once and then looks colours up in that table, so its colour of $t$ is the
exact colour of a point at most $1/256$ away. The steepest segment of
our two maps changes a channel by less than 2 units of 255 over that
distance, so the two methods agree to within what a PNG file can store.
@^exercise 11@>
@<Figure functions@>=
void colormap_color(const Colormap *cm, double w, double rgb[3])
{
  @<Interpolate the colour of weight |w| between the control points@>@;
}

@ Each channel has its own control points, so the segment is found for each channel separately.
@<Interpolate the colour of weight |w| between the control points@>=
if (!(w > 0.0)) w = 0.0; /* NaN too */
if (w > 1.0) w = 1.0;
for (int ch = 0; ch < 3; ch++) {
  const double *x = cm->x[ch], *v = cm->v[ch];
  int k = 0;
  while (k + 2 < cm->n[ch] && w > x[k + 1]) k++;
  double t = (w - x[k]) / (x[k + 1] - x[k]);
  rgb[ch] = v[k] + t * (v[k + 1] - v[k]);
}

@ Exercise~11 (easy, 4 points). Write the section above: clamp |w| to
$[0,1]$ (a NaN becomes 0), then, for each of the three channels, find the
segment of control points that holds |w| and interpolate linearly between the
values at its ends. The tests check the control points and the midpoints of
both maps, the clamping, random weights, and colormaps of their own with
uneven segments and different numbers of points per channel.
@^exercises@>

@ The command line names a colormap; |colormap_find| returns |NULL| for a name
it does not know.
@<Figure functions@>=
const Colormap *colormap_find(const char *name)
{
  if (strcmp(name, "bone") == 0) return &colormap_bone;
  if (strcmp(name, "ylorrd") == 0 || strcmp(name, "YlOrRd") == 0) return &colormap_ylorrd;
  return NULL;
}

@ @<Prototypes@>=
extern const Colormap colormap_bone, colormap_ylorrd;
void colormap_color(const Colormap *cm, double w, double rgb[3]);
const Colormap *colormap_find(const char *name);

@*1 What a heatmap is made of.
A heatmap is a matrix of |rows| by |cols| weights (row $i$ starts at
|w+i*stride|, so the rows of |greedy_decode|'s $L$-wide attention can be
drawn without a copy, trimmed to the real input length), a word for every row
and column, a title, a colormap and a style. The style is the notebook's
first (|HEATMAP_MATPLOTLIB|: grey grid lines between the cells, a black frame,
the colorbar's label read from top to bottom) or its second
(|HEATMAP_SEABORN|: a thin grey border around every cell, no frame, the label
read from bottom to top). |vmin| and |vmax| are the colour scale; when |vmin|
is not below |vmax|, the scale is the data's own.
@<Types@>=
enum { HEATMAP_MATPLOTLIB, HEATMAP_SEABORN };
typedef struct {
  int rows, cols; /* output words, input words */
  const float *w; /* |rows| rows of weights, |stride| apart */
  int stride;
  const char *const *row_words, *const *col_words; /* UTF-8 */
  const char *title;
  const Colormap *cm;
  int style;
  double vmin, vmax; /* the colour scale; |vmin>=vmax|: the data's range */
} Heatmap;

@ Everything is measured in points ($1/72$ inch) on a page of the notebook's
size, 10 by 6 inches. The layout says where the cells and the colorbar are
and which colour scale was used, so the tests can find the centre of every
cell in a picture and check its colour.
@<Types@>=
typedef struct {
  double x, y, w, h;
} FigBox;
typedef struct {
  double width, height; /* the page, in points */
  FigBox cells, colorbar;
  double vmin, vmax; /* the colour scale */
} HeatmapLayout;
typedef struct {
  int width, height, stride; /* pixels, and bytes from one row to the next */
  unsigned char *data; /* |height| rows of 32-bit pixels \.{0xAARRGGBB} */
} FigImage;

@*1 Text, lines and boxes.
@^fonts@>
@^text in figures@>
Every piece of text in a figure is set in DejaVu Sans, the font that
\PB{matplotlib} uses by default, through Cairo's simple text functions.
They find the font with fontconfig and, in a PDF file, embed the glyphs it
needs together with a table from glyphs back to characters: the words of a
figure are text that a reader can select, copy and search, accents and
ligatures like \oe\ included, since Cairo takes UTF-8. The sizes are the
notebook's: 10 points for tick labels, 12 bold for the axis titles, 13 bold
for the title.

Cairo's SVG writer, on the other hand, draws every glyph as an outline: the
picture is right but a browser cannot find a word in it. So for SVG the
figure keeps Cairo for the lines and colours and writes each text itself, as
an SVG \.{<text>} element, added at the end of Cairo's document (text is
never under anything else in these figures). The element carries the width
that Cairo measured (\.{textLength}), so it lines up even where DejaVu Sans
is missing.
@^SVG@>

A drawing surface is therefore a Cairo context plus, for SVG, a buffer of
text elements.
@<Figure helpers@>=
typedef struct {
  unsigned char *p;
  size_t n, cap;
} Buf;

static void buf_add(Buf *b, const void *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    b->cap = 2 * (b->n + n + 1);
    b->p = xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

@ A canvas is what every drawing function is given: the Cairo context and,
for SVG only, the buffer of text elements. A font is a size and a weight.
@<Figure helpers@>=
typedef struct {
  cairo_t *cr;
  Buf *svg_text; /* |NULL| except for SVG */
} Canvas;

typedef struct {
  double size;
  int bold;
} FigFont;

@ Layout needs the size of a text before anything is drawn, so one small
context, made once, measures text. Font hinting would round the widths of
letters to whole pixels, differently at different resolutions; it is turned
off everywhere so that a PNG and a PDF of the same figure have the same
layout, to the point.
@<Figure helpers@>=
static void set_font(cairo_t *cr, FigFont f)
{
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
    f.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, f.size);
}

static void no_hinting(cairo_t *cr)
{
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options(cr, fo);
  cairo_font_options_destroy(fo);
}

@ The measuring context is made on first use and kept for the life of the
program: text is measured thousands of times while a heatmap is laid out.
@<Figure helpers@>=
static cairo_t *measurer(void)
{
  static cairo_t *cr;
  if (!cr) {
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cr = cairo_create(s);
    cairo_surface_destroy(s);
    no_hinting(cr);
  }
  return cr;
}

@ The width of a text is its advance, where the next text would start. The
height of a line is the font's ascent plus descent, the same for every
text, so that labels with and without descenders line up.
@<Figure helpers@>=
static double text_width(FigFont f, const char *s)
{
  cairo_text_extents_t te;
  set_font(measurer(), f);
  cairo_text_extents(measurer(), s, &te);
  return te.x_advance;
}

static void font_metrics(FigFont f, double *ascent, double *descent)
{
  cairo_font_extents_t fe;
  set_font(measurer(), f);
  cairo_font_extents(measurer(), &fe);
  *ascent = fe.ascent;
  *descent = fe.descent;
}

@ Cairo refuses a string that is not UTF-8, and puts the context into an error
state for good. The words of a model have been through the normaliser, but
a figure's text may come from anywhere, so every text is copied first: a
byte that does not start a valid character becomes `?', and a text wider
than |maxw| points is cut at a character and ends with an ellipsis.
@^UTF-8@>
@<Figure helpers@>=
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */
static char *fit_text(const char *s, FigFont f, double maxw)
{
  size_t len = strlen(s), k = 0, cut = 0;
  char *t = xcalloc(len + sizeof ELLIPSIS, 1), *o = t;
  while (k < len) {
    utf8proc_int32_t c;
    utf8proc_ssize_t m = utf8proc_iterate((const utf8proc_uint8_t *) s + k,
      (utf8proc_ssize_t) (len - k), &c);
    if (m < 1) *o++ = '?', k++;
    else memcpy(o, s + k, (size_t) m), o += m, k += (size_t) m;
  }
  double ew = text_width(f, ELLIPSIS);
  if (text_width(f, t) <= maxw) return t;
  @<Cut |t| after the last character that leaves room for the ellipsis@>@;
  return t;
}

@ The cut is found by adding one character at a time; the labels are short.
@<Cut |t| after the last character that leaves room for the ellipsis@>=
size_t n = strlen(t);
char *u = xcalloc(n + sizeof ELLIPSIS, 1);
for (size_t j = 1; j <= n; j++) {
  if ((t[j] & 0xc0) == 0x80) continue; /* inside a character */
  memcpy(u, t, j);
  u[j] = 0;
  if (text_width(f, u) + ew > maxw) break;
  cut = j;
}
memcpy(u, t, cut);
strcpy(u + cut, ELLIPSIS);
free(t);
t = u;

@ A text is drawn with its baseline starting at $(x,y)$, turned by |angle|
degrees (positive is clockwise on the page, since the $y$ axis of Cairo
points down).
@<Figure helpers@>=
static void svg_text(Buf *b, FigFont f, double x, double y, double angle, const char *s);

static void canvas_text(Canvas *cv, FigFont f, double x, double y, double angle,
  const char *s)
{
  if (cv->svg_text) {
    svg_text(cv->svg_text, f, x, y, angle, s);
    return;
  }
  cairo_t *cr = cv->cr;
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle * M_PI / 180.0);
  set_font(cr, f);
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_move_to(cr, 0.0, 0.0);
  cairo_show_text(cr, s);
  cairo_restore(cr);
}

@ In SVG the characters \.{<}, \.{>}, \.{\&} and the quotes must be written as
entities; everything else, UTF-8 included, goes through as it is.
@<Figure helpers@>=
static void svg_text(Buf *b, FigFont f, double x, double y, double angle, const char *s)
{
  char head[320];
  int n = snprintf(head, sizeof head, "<text transform=\"translate(%.3f %.3f) rotate(%g)\" "
    "font-family=\"DejaVu Sans, sans-serif\" font-size=\"%g\"%s textLength=\"%.3f\" "
    "lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\" fill=\"#000\">", x, y, angle,
    f.size, f.bold ? " font-weight=\"bold\"" : "", text_width(f, s));
  buf_add(b, head, (size_t) n);
  for (const char *p = s; *p; p++) {
    const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;" :
      *p == '"' ? "&quot;" : *p == '\'' ? "&apos;" : NULL;
    if (e) buf_add(b, e, strlen(e));
    else buf_add(b, p, 1);
  }
  buf_add(b, "</text>\n", 8);
}

@ Lines and boxes are Cairo's, in every format. Colours are RGB triples.
@<Figure helpers@>=
static void fill_box(cairo_t *cr, double x, double y, double w, double h,
  const double rgb[3])
{
  cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
}

static void line(cairo_t *cr, double x0, double y0, double x1, double y1,
  double width, double grey)
{
  cairo_set_source_rgb(cr, grey, grey, grey);
  cairo_set_line_width(cr, width);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

@*1 Ticks.
@^ticks@>
An axis gets its ticks at ``round'' numbers: the step between ticks is 1, 2,
2.5 or 5 times a power of ten, the smallest such step that gives at most
|most| ticks over the range $[lo,hi]$. The labels have as many decimals as
the step needs (one for 0.2, two for 0.25 and for 0.05). |nice_ticks|
returns the step and the number of ticks; the first is at the smallest
multiple of the step not below |lo|. The callers keep the range between
|FIG_TINY| and |FIG_HUGE| (see |widen_range|), so that the step, its logarithm
and the number of ticks are ordinary numbers; |hi-lo| itself is not computed,
as it overflows for $-10^{308}..10^{308}$, and a step outside that band (which
only a caller's mistake can bring) becomes 1 rather than a logarithm of zero
turned into an |int|, which C leaves undefined.
@<Figure helpers@>=
#define FIG_TINY 1e-280 /* the smallest range an axis or colour scale may span */
#define FIG_HUGE 1e300 /* the largest value a figure draws */
static double nice_step(double lo, double hi, int most, int *decimals)
{
  static const double mant[] = {1.0, 2.0, 2.5, 5.0, 10.0};
  double raw = hi / (most - 1) - lo / (most - 1);
  if (!(raw >= FIG_TINY / 16 && raw <= FIG_HUGE)) raw = 1.0;
  double mag = pow(10.0, floor(log10(raw))), step = mag;
  for (int k = 0; k < 5; k++)
    if (mant[k] * mag >= raw * (1.0 - 1e-9)) {
      step = mant[k] * mag;
      break;
    }
  int d = (int) -floor(log10(step) + 1e-9);
  if (fabs(step / pow(10.0, -d) - 2.5) < 1e-6) d++; /* 0.25 needs one more */
  *decimals = d > 0 ? d : 0;
  return step;
}

@ The ticks are the multiples of the step inside the range.
@<Figure helpers@>=
static int nice_ticks(double lo, double hi, int most, double *first, double *step,
  int *decimals)
{
  *step = nice_step(lo, hi, most, decimals);
  *first = ceil(lo / *step - 1e-6) * *step; /* a float's 0.1 is a hair above 0.1 */
  double n = floor(hi / *step - *first / *step + 1e-6) + 1;
  return n > 0 ? (n < 1000 ? (int) n : 1000) : 0;
}

@ A range of one value, or one too narrow for its ticks to be told apart, is
widened by a tenth of the value on each side (by 0.1 around zero, or around
a value too small to have a tenth that is an ordinary number).
@<Figure helpers@>=
static void widen_range(double *lo, double *hi)
{
  if (*hi - *lo <= 1e-12 * fmax(fabs(*lo), fabs(*hi)) || *hi - *lo < FIG_TINY) {
    double d = fabs(*lo) < 1e3 * FIG_TINY ? 0.1 : 0.1 * fabs(*lo);
    *lo -= d, *hi += d;
  }
}

@*1 The layout of a heatmap.
@^layout@>
The page is the notebook's, 720 by 432 points. The cells take what the
texts around them leave, as \PB{matplotlib}'s \.{tight\_layout} does: going
in from the edge, a margin of 10.8 points; then, on the left, the axis title
(turned to read upwards), a gap, the widest row label and the tick marks; at
the bottom, the axis title, a gap, the column labels and the tick marks; at
the top, the title and 15 points of space (the notebook's \.{pad=15}); on
the right, the colorbar's label, its tick labels and ticks, the colorbar
itself (as wide as a twentieth of its height, \PB{matplotlib}'s aspect 20),
and a gap of 20 points.
@<Figure helpers@>=
#define PAGE_W 720.0
#define PAGE_H 432.0
#define MARGIN 10.8
#define TICK_LEN 3.5
#define TICK_PAD 3.5
#define LABEL_PAD 4.0
#define TITLE_PAD 15.0
#define CBAR_GAP 20.0
#define LABEL_MAX 130.0 /* the widest word label, in points */
static const FigFont tick_font = {10.0, 0}; /* tick labels, the colorbar's label */
static const FigFont axis_font = {12.0, 1}; /* axis titles, bold */
static const FigFont title_font = {13.0, 1};

@ The column labels are turned $45^\circ$ and end under their column, as in
the notebook (\.{rotation=45,} \.{ha='right'}). A label of advance $a$, with the
font's ascent $\alpha$ and descent $\delta$, turned by $45^\circ$, takes
$(\alpha+a+\delta)/\sqrt2$ points downwards, and as much to the left of its
column; this is how deep the bottom margin must be. Its baseline starts at
the point that puts the top right corner of the turned box at the tick:
$(x-(a+\delta)/\sqrt2,\;y+(\alpha+a)/\sqrt2)$ for a tick at $(x,y)$.
@<Figure helpers@>=
static double turned_depth(FigFont f, const char *s)
{
  double asc, desc;
  font_metrics(f, &asc, &desc);
  return (asc + text_width(f, s) + desc) * M_SQRT1_2;
}

static void turned_label(Canvas *cv, FigFont f, double x, double y, const char *s)
{
  double asc, desc, a = text_width(f, s);
  font_metrics(f, &asc, &desc);
  canvas_text(cv, f, x - (a + desc) * M_SQRT1_2, y + (asc + a) * M_SQRT1_2, -45.0, s);
}

@ The labels and the title are fitted into a structure that both the
layout and the drawing use. The row and column labels have fonts of their
own, which start at the tick labels' 10 points and may shrink (see below).
@<Figure helpers@>=
typedef struct {
  char **row, **col, *title;
  FigFont row_font, col_font;
  double vmin, vmax;
  int nticks, decimals;
  double first, step;
} HeatmapTexts;

@ Each label is cut to fit |LABEL_MAX| points in its current font.
@<Figure helpers@>=
static void fit_labels(const Heatmap *h, HeatmapTexts *t)
{
  for (int i = 0; i < h->rows; i++) {
    free(t->row[i]);
    t->row[i] = fit_text(h->row_words[i], t->row_font, LABEL_MAX);
  }
  for (int j = 0; j < h->cols; j++) {
    free(t->col[j]);
    t->col[j] = fit_text(h->col_words[j], t->col_font, LABEL_MAX);
  }
}

@ The texts of a heatmap: its labels, its title (cut to the page's width),
and the numbers of its colour scale.
@<Figure helpers@>=
static void heatmap_texts(const Heatmap *h, HeatmapTexts *t)
{
  t->row = xcalloc((size_t) h->rows, sizeof(char *));
  t->col = xcalloc((size_t) h->cols, sizeof(char *));
  t->row_font = t->col_font = tick_font;
  fit_labels(h, t);
  t->title = fit_text(h->title ? h->title : "", title_font, PAGE_W - 2 * MARGIN);
  @<Find the colour scale |t->vmin..t->vmax| and its ticks@>@;
}

@ The texts are copies made by |fit_text|, so they are freed when the figure is done.
@<Figure helpers@>=
static void heatmap_texts_free(const Heatmap *h, HeatmapTexts *t)
{
  for (int i = 0; i < h->rows; i++) free(t->row[i]);
  for (int j = 0; j < h->cols; j++) free(t->col[j]);
  free(t->row);
  free(t->col);
  free(t->title);
}

@ The scale is the data's range unless the caller gave one; NaNs and
infinities are left out of the range (their cells take the colour of 0).
The colorbar has at most 8 ticks.
@<Find the colour scale |t->vmin..t->vmax| and its ticks@>=
double lo = INFINITY, hi = -INFINITY;
for (int i = 0; i < h->rows; i++)
  for (int j = 0; j < h->cols; j++) {
    double v = h->w[(size_t) i * h->stride + j];
    if (isfinite(v)) lo = v < lo ? v : lo, hi = v > hi ? v : hi;
  }
if (h->vmin < h->vmax) lo = h->vmin, hi = h->vmax;
else if (!(lo <= hi)) lo = 0.0, hi = 1.0; /* no finite weight at all */
lo = fmax(lo, -FIG_HUGE), hi = fmin(hi, FIG_HUGE);
if (lo > hi) lo = hi;
widen_range(&lo, &hi);
t->vmin = lo, t->vmax = hi;
t->nticks = nice_ticks(lo, hi, 8, &t->first, &t->step, &t->decimals);

@ Now the arithmetic of the margins, from the outside in, vertically first:
the colorbar's width depends on the cells' height.
@<Figure functions@>=
static int layout_heatmap(const Heatmap *h, const HeatmapTexts *t, HeatmapLayout *lay)
{
  double asc, desc, lab, tick_h, xdepth = 0.0, ywidth = 0.0, cbw = 0.0;
  font_metrics(axis_font, &asc, &desc);
  lab = asc + desc;
  font_metrics(tick_font, &asc, &desc);
  tick_h = asc + desc;
  for (int j = 0; j < h->cols; j++) xdepth = fmax(xdepth, turned_depth(t->col_font, t->col[j]));
  for (int i = 0; i < h->rows; i++) ywidth = fmax(ywidth, text_width(t->row_font, t->row[i]));
  for (int k = 0; k < t->nticks; k++) {
    char s[32];
    snprintf(s, sizeof s, "%.*f", t->decimals, t->first + k * t->step + 0.0);
    cbw = fmax(cbw, text_width(tick_font, s));
  }
  @<Place the cells and the colorbar inside the margins@>@;
  return lay->cells.w >= 10.0 && lay->cells.h >= 10.0 ? 0 :
    kit_fail("heatmap: the labels leave no room for the cells");
}

@ The column labels reach left of their columns; if the first one would
cross the page's margin, the cells move right. Moving them makes the columns
narrower, which moves the labels again, so the step is repeated a few times
(it converges at once in practice).
@<Place the cells and the colorbar inside the margins@>=
double title_asc, title_desc;
font_metrics(title_font, &title_asc, &title_desc);
double top = MARGIN + title_asc + title_desc + TITLE_PAD;
double bottom = MARGIN + lab + LABEL_PAD + xdepth + TICK_LEN + TICK_PAD;
double left = MARGIN + lab + LABEL_PAD + ywidth + TICK_LEN + TICK_PAD;
double ch = PAGE_H - top - bottom, cw = fmin(20.0, fmax(8.0, ch / 20.0));
double right = MARGIN + tick_h + LABEL_PAD + cbw + TICK_PAD + TICK_LEN + cw + CBAR_GAP;
for (int pass = 0; pass < 4; pass++) {
  double colw = (PAGE_W - left - right) / h->cols, over = 0.0;
  for (int j = 0; j < h->cols; j++)
    over = fmax(over, MARGIN - (left + (j + 0.5) * colw - turned_depth(t->col_font, t->col[j])));
  left += over;
}
lay->width = PAGE_W, lay->height = PAGE_H;
lay->cells = (FigBox) {left, top, PAGE_W - left - right, ch};
lay->colorbar = (FigBox) {PAGE_W - right + CBAR_GAP, top, cw, ch};
lay->vmin = t->vmin, lay->vmax = t->vmax;

@ With many words the labels would run into each other: the cells get
about 320 of the page's 432 points of height, so a row of a 40-word sentence
is about 8 points high, and a 10-point label needs 11.6 (DejaVu's line is
1.16 of its size). So the row labels shrink to at most
0.72 of a row's height, and the column labels to at most 0.6 of a column's
width (turned $45^\circ$, neighbouring labels are $1/\sqrt2$ of a column
width apart), but never below 4 points. Smaller labels leave more room for
the cells, which makes rows and columns larger again; since the sizes only
ever shrink, a second pass settles them.
@<Figure functions@>=
static int heatmap_prepare(const Heatmap *h, HeatmapTexts *t, HeatmapLayout *lay)
{
  heatmap_texts(h, t);
  for (int pass = 0; pass < 3; pass++) {
    if (layout_heatmap(h, t, lay)) {
      heatmap_texts_free(h, t);
      return -1;
    }
    double rs = fmax(4.0, fmin(t->row_font.size, 0.72 * lay->cells.h / h->rows));
    double cs = fmax(4.0, fmin(t->col_font.size, 0.6 * lay->cells.w / h->cols));
    if (pass == 2 || (rs == t->row_font.size && cs == t->col_font.size)) break;
    t->row_font.size = rs, t->col_font.size = cs;
    fit_labels(h, t);
  }
  return 0;
}

@ The layout alone, for the tests and for anyone who wants to know where a
cell is. It fails only for an empty matrix.
@<Figure functions@>=
static int heatmap_check(const Heatmap *h)
{
  if (h->rows < 1 || h->cols < 1 || h->stride < h->cols || !h->w || !h->cm
    || !h->row_words || !h->col_words)
    return kit_fail("heatmap: %d x %d weights: nothing to draw", h->rows, h->cols);
  return 0;
}

int heatmap_layout(const Heatmap *h, HeatmapLayout *lay)
{
  HeatmapTexts t;
  if (heatmap_check(h) || heatmap_prepare(h, &t, lay)) return -1;
  heatmap_texts_free(h, &t);
  return 0;
}

@ @<Prototypes@>=
int heatmap_layout(const Heatmap *h, HeatmapLayout *lay);

@*1 Drawing a heatmap.
The drawing follows the layout: white page, cells, lines, colorbar, then the
texts. Cell $(i,j)$ is row $i$ from the top (the first word written is the
top row, as in the notebook) and column $j$ from the left.
@<Figure functions@>=
static void draw_heatmap(Canvas *cv, const Heatmap *h, const HeatmapTexts *t,
  const HeatmapLayout *lay)
{
  cairo_t *cr = cv->cr;
  const FigBox *c = &lay->cells;
  double colw = c->w / h->cols, rowh = c->h / h->rows, white[3] = {1.0, 1.0, 1.0};
  fill_box(cr, 0.0, 0.0, lay->width, lay->height, white);
  for (int i = 0; i < h->rows; i++)
    for (int j = 0; j < h->cols; j++) {
      double rgb[3], v = h->w[(size_t) i * h->stride + j];
      colormap_color(h->cm, (v - lay->vmin) / (lay->vmax - lay->vmin), rgb);
      fill_box(cr, c->x + j * colw, c->y + i * rowh, colw, rowh, rgb);
    }
  @<Draw the grid lines or cell borders, the frame and the ticks@>@;
  @<Draw the colorbar with its ticks@>@;
  @<Draw the labels, the axis titles and the title@>@;
}

@ In the first style the grid lines run between the cells and a black frame
of 0.8 points (\PB{matplotlib}'s default) surrounds them; in the second every
cell has a grey border of half a point, the outer edges included, and there
is no frame (Figure~10, at the end of the chapter, shows the second style).
Tick marks point outwards from the middle of every row and column.
@<Draw the grid lines or cell borders, the frame and the ticks@>=
int seaborn = h->style == HEATMAP_SEABORN;
for (int j = seaborn ? 0 : 1; j <= (seaborn ? h->cols : h->cols - 1); j++)
  line(cr, c->x + j * colw, c->y, c->x + j * colw, c->y + c->h, 0.5, 0.5);
for (int i = seaborn ? 0 : 1; i <= (seaborn ? h->rows : h->rows - 1); i++)
  line(cr, c->x, c->y + i * rowh, c->x + c->w, c->y + i * rowh, 0.5, 0.5);
if (!seaborn) {
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_set_line_width(cr, 0.8);
  cairo_rectangle(cr, c->x, c->y, c->w, c->h);
  cairo_stroke(cr);
}
for (int j = 0; j < h->cols; j++)
  line(cr, c->x + (j + 0.5) * colw, c->y + c->h, c->x + (j + 0.5) * colw,
    c->y + c->h + TICK_LEN, 0.8, 0.0);
for (int i = 0; i < h->rows; i++)
  line(cr, c->x, c->y + (i + 0.5) * rowh, c->x - TICK_LEN, c->y + (i + 0.5) * rowh, 0.8, 0.0);

@ The colorbar is a Cairo linear gradient from the colormap's first colour at
the bottom to its last at the top. Since the colormap is itself linear
between control points, a gradient stop at every control point of every
channel draws it exactly, in PNG, PDF and SVG alike (a PDF or SVG viewer
interpolates the same straight lines).
@<Draw the colorbar with its ticks@>=
const FigBox *b = &lay->colorbar;
cairo_pattern_t *grad = cairo_pattern_create_linear(0.0, b->y + b->h, 0.0, b->y);
for (int ch = 0; ch < 3; ch++)
  for (int k = 0; k < h->cm->n[ch]; k++) {
    double rgb[3], x = h->cm->x[ch][k];
    colormap_color(h->cm, x, rgb);
    cairo_pattern_add_color_stop_rgb(grad, x, rgb[0], rgb[1], rgb[2]);
  }
cairo_set_source(cr, grad);
cairo_rectangle(cr, b->x, b->y, b->w, b->h);
cairo_fill(cr);
cairo_pattern_destroy(grad);
@<Draw the colorbar's frame, ticks and tick labels@>@;

@ Cairo sorts the stops by position and keeps equal ones in the order they
came, which is harmless here: equal positions get equal colours. The
ticks are on the right, with their labels centred on them.
@<Draw the colorbar's frame, ticks and tick labels@>=
if (!seaborn) {
  cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
  cairo_set_line_width(cr, 0.8);
  cairo_rectangle(cr, b->x, b->y, b->w, b->h);
  cairo_stroke(cr);
}
double asc, desc;
font_metrics(tick_font, &asc, &desc);
for (int k = 0; k < t->nticks; k++) {
  double v = t->first + k * t->step + 0.0;
  double y = b->y + b->h * (1.0 - (v - lay->vmin) / (lay->vmax - lay->vmin));
  char s[32];
  snprintf(s, sizeof s, "%.*f", t->decimals, v);
  line(cr, b->x + b->w, y, b->x + b->w + TICK_LEN, y, 0.8, 0.0);
  canvas_text(cv, tick_font, b->x + b->w + TICK_LEN + TICK_PAD, y + (asc - desc) / 2, 0.0, s);
}

@ Row labels end at their tick and are centred on it; a text's middle is
taken halfway between its ascent and descent. The axis titles are centred
on the cells, the title over the cells too, but kept on the page.
@<Draw the labels, the axis titles and the title@>=
double rasc, rdesc;
font_metrics(t->row_font, &rasc, &rdesc);
for (int i = 0; i < h->rows; i++)
  canvas_text(cv, t->row_font, c->x - TICK_LEN - TICK_PAD - text_width(t->row_font, t->row[i]),
    c->y + (i + 0.5) * rowh + (rasc - rdesc) / 2, 0.0, t->row[i]);
for (int j = 0; j < h->cols; j++)
  turned_label(cv, t->col_font, c->x + (j + 0.5) * colw, c->y + c->h + TICK_LEN + TICK_PAD,
    t->col[j]);
@<Draw the axis titles and the colorbar's label@>@;
double tw = text_width(title_font, t->title), tx = c->x + (c->w - tw) / 2;
double tasc, tdesc;
font_metrics(title_font, &tasc, &tdesc);
tx = fmax(MARGIN, fmin(tx, lay->width - MARGIN - tw));
canvas_text(cv, title_font, tx, MARGIN + tasc, 0.0, t->title);

@ The left axis title reads upwards, its baseline at the margin plus its
ascent; the colorbar's label reads downwards in the first style (the
notebook turns it by $270^\circ$) and upwards in the second (\PB{seaborn}'s
default).
@<Draw the axis titles and the colorbar's label@>=
static const char *xtitle = "Input Words (English)", *ytitle = "Output Words (French)",
  *ctitle = "Attention Weight";
double lasc, ldesc, xt = text_width(axis_font, xtitle), yt = text_width(axis_font, ytitle);
double ct = text_width(tick_font, ctitle);
font_metrics(axis_font, &lasc, &ldesc);
canvas_text(cv, axis_font, c->x + (c->w - xt) / 2, lay->height - MARGIN - ldesc, 0.0, xtitle);
canvas_text(cv, axis_font, MARGIN + lasc, c->y + (c->h + yt) / 2, -90.0, ytitle);
if (seaborn)
  canvas_text(cv, tick_font, lay->width - MARGIN - desc, b->y + (b->h + ct) / 2, -90.0, ctitle);
else canvas_text(cv, tick_font, lay->width - MARGIN - asc, b->y + (b->h - ct) / 2, 90.0, ctitle);

@ To draw a heatmap is to fit its texts, lay it out and draw it on whatever
surface |figure_draw| (below) makes for the file.
@<Figure functions@>=
typedef struct {
  const Heatmap *h;
  HeatmapTexts t;
  HeatmapLayout lay;
} HeatmapJob;

static void heatmap_job_draw(Canvas *cv, const void *job)
{
  const HeatmapJob *j = job;
  draw_heatmap(cv, j->h, &j->t, &j->lay);
}

static int heatmap_job_begin(HeatmapJob *j, const Heatmap *h)
{
  j->h = h;
  return heatmap_check(h) || heatmap_prepare(h, &j->t, &j->lay) ? -1 : 0;
}

@*1 Writing a figure to a file.
@^figure formats@>
@^reproducible output@>
The name of the file says its format: \.{.png} (a picture of pixels, for
people), \.{.pdf} (vectors and embedded fonts, for the book) or \.{.svg}
(vectors, for the web). Anything else is an error that names the file. A
PNG is drawn at twice the size in points, 144 pixels an inch, so a
$720\times432$ point page is $1440\times864$ pixels.
@<Types@>=
enum { FIGURE_PNG, FIGURE_PDF, FIGURE_SVG };
#define FIGURE_PNG_SCALE 2.0

@ The format is found from the name alone, before anything is drawn, so that a wrong name fails at once.
@<Figure functions@>=
int figure_format(const char *path)
{
  const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
  if (dot && (!slash || dot > slash) && dot[1]) {
    if (strcasecmp(dot, ".png") == 0) return FIGURE_PNG;
    if (strcasecmp(dot, ".pdf") == 0) return FIGURE_PDF;
    if (strcasecmp(dot, ".svg") == 0) return FIGURE_SVG;
  }
  return kit_fail("%s: unknown figure format (the name must end in .png, .pdf or .svg)", path);
}

@ A file must never be left half-written, by a full disk or by an error
halfway: the whole figure is made in memory, written to a new file in the
same folder and, once complete, renamed to its name; a rename within a
folder is atomic. A folder that does not exist, or cannot be written, and a
name that is not a regular file (|save_target_check|), are found before
anything is drawn, so that a command can check all its output files first.
@<Figure functions@>=
int figure_check_path(const char *path)
{
  if (figure_format(path) < 0) return -1;
  const char *slash = strrchr(path, '/');
  char *dir = slash ? xcalloc((size_t) (slash - path) + 2, 1) : xstrdup(".");
  if (slash) memcpy(dir, path, slash == path ? 1 : (size_t) (slash - path));
  struct stat st;
  int status = 0;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    status = kit_fail("%s: cannot write: the folder %s does not exist", path, dir);
  else if (access(dir, W_OK) != 0)
    status = kit_fail("%s: cannot write: the folder %s is not writable", path, dir);
  else status = save_target_check(path);
  free(dir);
  return status;
}

@ The new file gets the permissions an ordinary new file would get (|mkstemp|
makes it readable by its owner only). The target is checked on entry and
again just before the rename.
@<Figure functions@>=
int write_file_atomic(const char *path, const void *data, size_t n)
{
  if (save_target_check(path)) return -1;
  char *tmp = xcalloc(strlen(path) + 16, 1);
  sprintf(tmp, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    kit_fail("%s: cannot write: %s", path, strerror(errno));
    free(tmp);
    return -1;
  }
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  @<Write the |n| bytes to |fd|, close it and rename it to |path|@>@;
  free(tmp);
  return ok ? 0 : -1;
}

@ |write| may write fewer bytes than asked, or be interrupted by a signal; the loop goes on until all are written or a real error occurs.
@<Write the |n| bytes to |fd|, close it and rename it to |path|@>=
const char *p = data;
size_t left = n;
int ok = 1;
while (ok && left > 0) {
  ssize_t w = write(fd, p, left);
  if (w < 0 && errno == EINTR) continue;
  if (w <= 0) ok = 0;
  else p += w, left -= (size_t) w;
}
if (!ok) kit_fail("%s: cannot write: %s", path, strerror(errno));
if (close(fd) != 0 && ok) ok = 0, kit_fail("%s: cannot write: %s", path, strerror(errno));
if (ok && save_target_check(path)) ok = 0;
if (ok && rename(tmp, path) != 0) ok = 0, kit_fail("%s: cannot write: %s", path, strerror(errno));
if (!ok) unlink(tmp);

@ @<Prototypes@>=
int figure_format(const char *path);
int figure_check_path(const char *path);
int write_file_atomic(const char *path, const void *data, size_t n);

@ Cairo writes a PDF or SVG document through a function that it calls with
each piece; ours appends the piece to a buffer.
@<Figure helpers@>=
static cairo_status_t buf_write(void *closure, const unsigned char *data, unsigned int n)
{
  buf_add(closure, data, n);
  return CAIRO_STATUS_SUCCESS;
}

@ The same run must give the same files, so that the figures can be
committed and a change in one means a change in the model. PNG and SVG
files from Cairo hold nothing but the picture, but Cairo~1.16 writes the
time of writing into every PDF file as its \.{CreationDate}. Setting the
date ourselves replaces it: the date is taken from the variable
\.{SOURCE\_DATE\_EPOCH} when it is set (the convention of reproducible
builds), and is otherwise fixed at the epoch, 1970-01-01. The PDF is also
held to version~1.4, the version that pdf\TeX\ includes without a warning.
(One more detail, harmless for files made by separate runs: Cairo numbers
the surfaces a process makes, and an SVG file names its drawing after that
number, so two SVG drawings made by one process differ in that one number.)
@<Figure helpers@>=
static void pdf_fix_date(cairo_surface_t *s)
{
  const char *e = getenv("SOURCE_DATE_EPOCH");
  char *end;
  time_t t = 0;
  if (e && *e) {
    long long v = strtoll(e, &end, 10);
    if (!*end && v >= 0) t = (time_t) v;
  }
  struct tm tm;
  char date[32];
  gmtime_r(&t, &tm);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  cairo_pdf_surface_restrict_to_version(s, CAIRO_PDF_VERSION_1_4);
  cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
}

@ |figure_draw| makes the surface for a format, lets |draw| draw on it, and
leaves the bytes of the file in |out|. Cairo reports its errors (out of
memory, a font it cannot load) in the surface's status, which is checked
once at the end.
@<Figure functions@>=
typedef void (*DrawFn)(Canvas *cv, const void *job);

static int figure_draw(int format, double w, double h, DrawFn draw, const void *job,
  Buf *out)
{
  cairo_surface_t *s;
  Buf text = {0};
  if (format == FIGURE_PNG)
    s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int) ceil(w * FIGURE_PNG_SCALE),
      (int) ceil(h * FIGURE_PNG_SCALE));
  else if (format == FIGURE_PDF) {
    s = cairo_pdf_surface_create_for_stream(buf_write, out, w, h);
    pdf_fix_date(s);
  } else s = cairo_svg_surface_create_for_stream(buf_write, out, w, h);
  Canvas cv = {cairo_create(s), format == FIGURE_SVG ? &text : NULL};
  no_hinting(cv.cr);
  if (format == FIGURE_PNG) cairo_scale(cv.cr, FIGURE_PNG_SCALE, FIGURE_PNG_SCALE);
  draw(&cv, job);
  @<Finish the surface and collect the bytes of the file in |out|@>@;
}

@ An SVG document ends with \.{</svg>}; the text elements go just before it.
@<Finish the surface and collect the bytes of the file in |out|@>=
cairo_status_t st = cairo_status(cv.cr);
cairo_destroy(cv.cr);
if (format == FIGURE_PNG && st == CAIRO_STATUS_SUCCESS)
  st = cairo_surface_write_to_png_stream(s, buf_write, out);
cairo_surface_finish(s);
if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(s);
cairo_surface_destroy(s);
if (format == FIGURE_SVG && st == CAIRO_STATUS_SUCCESS) {
  const char *end = "</svg>";
  size_t k = out->n;
  while (k >= 6 && memcmp(out->p + k - 6, end, 6) != 0) k--;
  if (k < 6) st = CAIRO_STATUS_WRITE_ERROR;
  else {
    Buf tail = {0};
    buf_add(&tail, out->p + k - 6, out->n - (k - 6));
    out->n = k - 6;
    if (text.n) buf_add(out, text.p, text.n);
    buf_add(out, tail.p, tail.n);
    free(tail.p);
  }
}
free(text.p);
return st == CAIRO_STATUS_SUCCESS ? 0 : kit_fail("cairo: %s", cairo_status_to_string(st));

@ Saving is then: check the name, draw into memory, write atomically. On the
machine this book was made on, a heatmap takes about 1.5 milliseconds as a
PDF, 0.5 as an SVG and 50 as a PNG: the PNG has $1440\times864$ pixels of 4
bytes, 5~MB of fresh memory to fill and then to compress, against a few
hundred lines of text and vectors for the others.
@<Figure functions@>=
static int figure_save(const char *path, double w, double h, DrawFn draw, const void *job)
{
  int format = figure_format(path);
  if (format < 0 || figure_check_path(path)) return -1;
  Buf out = {0};
  int status = figure_draw(format, w, h, draw, job, &out);
  if (status == 0) status = write_file_atomic(path, out.p, out.n);
  else kit_fail("%s: %s", path, kit_error());
  free(out.p);
  return status;
}

@ For the tests (and for a program that wants pixels rather than a file),
a figure can also be drawn into memory as an image, at any scale; the
caller frees |img->data|.
@<Figure functions@>=
static int figure_image(double w, double h, double scale, DrawFn draw, const void *job,
  FigImage *img)
{
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int) ceil(w * scale),
    (int) ceil(h * scale));
  Canvas cv = {cairo_create(s), NULL};
  no_hinting(cv.cr);
  cairo_scale(cv.cr, scale, scale);
  draw(&cv, job);
  cairo_destroy(cv.cr);
  cairo_surface_flush(s);
  cairo_status_t st = cairo_surface_status(s);
  img->width = cairo_image_surface_get_width(s);
  img->height = cairo_image_surface_get_height(s);
  img->stride = cairo_image_surface_get_stride(s);
  img->data = xcalloc((size_t) img->stride, (size_t) img->height);
  if (st == CAIRO_STATUS_SUCCESS)
    memcpy(img->data, cairo_image_surface_get_data(s), (size_t) img->stride * img->height);
  cairo_surface_destroy(s);
  return st == CAIRO_STATUS_SUCCESS ? 0 : kit_fail("cairo: %s", cairo_status_to_string(st));
}

@ The two ways to draw a heatmap.
@<Figure functions@>=
int heatmap_save(const Heatmap *h, const char *path)
{
  HeatmapJob j;
  if (heatmap_job_begin(&j, h)) return -1;
  int status = figure_save(path, j.lay.width, j.lay.height, heatmap_job_draw, &j);
  heatmap_texts_free(h, &j.t);
  return status;
}

int heatmap_image(const Heatmap *h, double scale, FigImage *img, HeatmapLayout *lay)
{
  HeatmapJob j;
  if (heatmap_job_begin(&j, h)) return -1;
  int status = figure_image(j.lay.width, j.lay.height, scale, heatmap_job_draw, &j, img);
  if (lay) *lay = j.lay;
  heatmap_texts_free(h, &j.t);
  return status;
}

@ @<Prototypes@>=
int heatmap_save(const Heatmap *h, const char *path);
int heatmap_image(const Heatmap *h, double scale, FigImage *img, HeatmapLayout *lay);

@*1 The loss curve.
@^loss curve@>
Training prints the average loss every fifty epochs; the curve shows every
epoch. On the notebook's five pairs the loss falls from about 2.8 to about
$3\cdot10^{-5}$ in 400 epochs, five orders of magnitude: on a linear axis
everything after the first twenty epochs is a flat line on zero. So when all
the values are positive and the largest is more than a hundred times the
smallest, the $y$ axis is logarithmic, with a tick at every power of ten
(labelled $10^k$) and small ticks at its multiples 2 to 9; otherwise it is
linear. Figure~9 is the curve of \.{make run}'s training: a fall from 2.8 to
0.008 in the first ten epochs, while the model learns which words go
together, then a slide that keeps slowing down, from $9\cdot10^{-4}$ at epoch
50 to $3.5\cdot10^{-5}$ at epoch 400, while it grows ever more certain of
translations it already gets right.

\kitfigure{../figures/loss.pdf}{.8\hsize}{Figure~9. The loss curve of
\.{make run}. The average loss of each of its 400 epochs, on a logarithmic
axis.}

@<Types@>=
typedef struct {
  int n; /* points */
  const double *x, *y;
  const char *title, *xlabel, *ylabel;
} Curve;

@ The page is 8 by 5 inches. An axis maps a value to a position; |log|
says whether it maps the value's logarithm.
@<Figure helpers@>=
#define CURVE_W 576.0
#define CURVE_H 360.0
typedef struct {
  double lo, hi; /* the range of the axis, in values */
  int log;
  double from, to; /* where |lo| and |hi| are on the page */
} Axis;

static double axis_pos(const Axis *a, double v)
{
  double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) :
    (v - a->lo) / (a->hi - a->lo);
  return a->from + t * (a->to - a->from);
}

@ A linear axis runs between ticks: its ends are rounded outwards to
multiples of the step, as \PB{matplotlib} does with round numbers. A
logarithmic one runs between powers of ten, and is taken only when the
values lie between $10^{-300}$ and $10^{300}$: beyond them a power of ten
at the axis's end is zero or infinite. A single value is widened as the
colour scale is.
@<Figure helpers@>=
static void axis_range(Axis *a, double lo, double hi, int allow_log)
{
  a->log = allow_log && lo >= 1.0 / FIG_HUGE && hi <= FIG_HUGE && hi / lo > 100.0;
  if (a->log) {
    a->lo = pow(10.0, floor(log10(lo) + 1e-9));
    a->hi = pow(10.0, ceil(log10(hi) - 1e-9));
    return;
  }
  widen_range(&lo, &hi);
  int dec;
  double step = nice_step(lo, hi, 9, &dec);
  a->lo = floor(lo / step + 1e-9) * step;
  a->hi = ceil(hi / step - 1e-9) * step;
}

@ The label of a tick: a number with the step's decimals, or $10^k$ with the
exponent in Unicode's superscript digits.
@<Figure helpers@>=
static void tick_label(char *s, size_t size, double v, int is_log, int decimals)
{
  static const char *sup[] = {"\xe2\x81\xb0", "\xc2\xb9", "\xc2\xb2", "\xc2\xb3",
    "\xe2\x81\xb4", "\xe2\x81\xb5", "\xe2\x81\xb6", "\xe2\x81\xb7", "\xe2\x81\xb8",
    "\xe2\x81\xb9"};
  if (!is_log) {
    snprintf(s, size, "%.*f", decimals, v + 0.0);
    return;
  }
  int k = (int) lround(log10(v));
  char digits[16];
  snprintf(digits, sizeof digits, "%d", k < 0 ? -k : k);
  snprintf(s, size, "10%s", k < 0 ? "\xe2\x81\xbb" : ""); /* superscript minus */
  for (char *d = digits; *d; d++) strncat(s, sup[*d - '0'], size - strlen(s) - 1);
}

@ The ticks of an axis are listed once, for the layout (the widest label)
and the drawing: the value, whether it is a major tick with a label, and
the label.
@<Figure helpers@>=
#define MAX_TICKS 200
typedef struct {
  int n;
  double v[MAX_TICKS];
  int major[MAX_TICKS];
  char label[MAX_TICKS][24];
} Ticks;

static void axis_ticks(const Axis *a, Ticks *t)
{
  t->n = 0;
  if (a->log) {
    @<List a tick at every power of ten and its multiples 2 to 9@>@;
    return;
  }
  int dec;
  double first, step;
  int n = nice_ticks(a->lo, a->hi, 9, &first, &step, &dec);
  for (int k = 0; k < n && t->n < MAX_TICKS; k++, t->n++) {
    t->v[t->n] = first + k * step;
    t->major[t->n] = 1;
    tick_label(t->label[t->n], sizeof t->label[0], t->v[t->n], 0, dec);
  }
}

@ When the axis spans many decades only every second (or third...) power of
ten is labelled, so that at most 8 labels are.
@<List a tick at every power of ten and its multiples 2 to 9@>=
int d0 = (int) lround(log10(a->lo)), d1 = (int) lround(log10(a->hi));
int every = d1 - d0 > 8 ? (d1 - d0 + 7) / 8 : 1;
for (int d = d0; d <= d1; d++)
  for (int m = 1; m <= 9 && t->n < MAX_TICKS; m++) {
    double v = m * pow(10.0, d);
    if (v > a->hi * (1.0 + 1e-9)) break;
    t->v[t->n] = v;
    t->major[t->n] = m == 1 && (d - d0) % every == 0;
    if (t->major[t->n]) tick_label(t->label[t->n], sizeof t->label[0], v, 1, 0);
    else t->label[t->n][0] = 0;
    t->n++;
  }

@ The layout of the curve is simpler than the heatmap's: the title on top, the
$y$ labels on the left, the $x$ labels below, and on the right room for half
of the last $x$ label, which is centred on the right edge of the plot.
@<Figure functions@>=
typedef struct {
  const Curve *c;
  Axis ax, ay;
  Ticks tx, ty;
  char *title, *xlabel, *ylabel;
} CurveJob;

static int curve_job_begin(CurveJob *j, const Curve *c)
{
  if (c->n < 1 || !c->x || !c->y) return kit_fail("loss curve: no points to draw");
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  @<Find the range of the points, or fail at one that is not finite@>@;
  j->c = c;
  axis_range(&j->ax, x0 >= 0.0 && x0 <= 1.0 ? 0.0 : x0, x1, 0);
  axis_range(&j->ay, y0, y1, 1);
  axis_ticks(&j->ax, &j->tx);
  axis_ticks(&j->ay, &j->ty);
  j->title = fit_text(c->title ? c->title : "", title_font, CURVE_W - 2 * MARGIN);
  j->xlabel = fit_text(c->xlabel ? c->xlabel : "", axis_font, CURVE_W - 2 * MARGIN);
  j->ylabel = fit_text(c->ylabel ? c->ylabel : "", axis_font, CURVE_H - 2 * MARGIN);
  @<Place the plot area of the curve@>@;
  return 0;
}

@ A loss log written by hand (or a diverged training) may hold a NaN or an
infinity, which has no place on an axis, or a number too large to draw: each
is an error that names the point.
@<Find the range of the points, or fail at one that is not finite@>=
for (int k = 0; k < c->n; k++) {
  if (!isfinite(c->x[k]) || !isfinite(c->y[k]))
    return kit_fail("loss curve: point %d is not a finite number", k + 1);
  if (fabs(c->x[k]) > FIG_HUGE || fabs(c->y[k]) > FIG_HUGE)
    return kit_fail("loss curve: point %d (%g, %g) is too large to draw (at most %g)", k + 1,
      c->x[k], c->y[k], FIG_HUGE);
  x0 = fmin(x0, c->x[k]), x1 = fmax(x1, c->x[k]);
  y0 = fmin(y0, c->y[k]), y1 = fmax(y1, c->y[k]);
}

@ An $x$ axis that starts at epoch 1 is drawn from 0, so the ticks fall on
round epochs.
@<Place the plot area of the curve@>=
double asc, desc, lasc, ldesc, tasc, tdesc, yw = 0.0;
font_metrics(tick_font, &asc, &desc);
font_metrics(axis_font, &lasc, &ldesc);
font_metrics(title_font, &tasc, &tdesc);
for (int k = 0; k < j->ty.n; k++) yw = fmax(yw, text_width(tick_font, j->ty.label[k]));
double last = j->tx.n ? text_width(tick_font, j->tx.label[j->tx.n - 1]) / 2 : 0.0;
j->ax.from = MARGIN + lasc + ldesc + LABEL_PAD + yw + TICK_PAD + TICK_LEN;
j->ax.to = CURVE_W - MARGIN - last;
j->ay.from = CURVE_H - (MARGIN + lasc + ldesc + LABEL_PAD + asc + desc + TICK_PAD + TICK_LEN);
j->ay.to = MARGIN + tasc + tdesc + TITLE_PAD;

@ The curve is drawn in \PB{matplotlib}'s first colour, \.{\#1f77b4}, 1.5
points wide, over light grey lines at the major ticks; a single point is a
dot.
@<Figure functions@>=
static void curve_job_draw(Canvas *cv, const void *job)
{
  const CurveJob *j = job;
  cairo_t *cr = cv->cr;
  double white[3] = {1.0, 1.0, 1.0}, x0 = j->ax.from, x1 = j->ax.to, y0 = j->ay.from,
    y1 = j->ay.to;
  fill_box(cr, 0.0, 0.0, CURVE_W, CURVE_H, white);
  for (int k = 0; k < j->tx.n; k++)
    line(cr, axis_pos(&j->ax, j->tx.v[k]), y0, axis_pos(&j->ax, j->tx.v[k]), y1, 0.5, 0.9);
  for (int k = 0; k < j->ty.n; k++)
    if (j->ty.major[k])
      line(cr, x0, axis_pos(&j->ay, j->ty.v[k]), x1, axis_pos(&j->ay, j->ty.v[k]), 0.5, 0.9);
  @<Draw the polyline of the curve@>@;
  @<Draw the frame, ticks and labels of the curve@>@;
}

@ The curve is clipped to the plot area, so that a point outside the axes' range cannot draw over the labels.
@<Draw the polyline of the curve@>=
cairo_save(cr);
cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
cairo_clip(cr);
cairo_set_source_rgb(cr, 0x1f / 255.0, 0x77 / 255.0, 0xb4 / 255.0);
cairo_set_line_width(cr, 1.5);
cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
for (int k = 0; k < j->c->n; k++)
  cairo_line_to(cr, axis_pos(&j->ax, j->c->x[k]), axis_pos(&j->ay, j->c->y[k]));
if (j->c->n == 1) {
  cairo_new_path(cr);
  cairo_arc(cr, axis_pos(&j->ax, j->c->x[0]), axis_pos(&j->ay, j->c->y[0]), 2.5, 0, 2 * M_PI);
  cairo_fill(cr);
} else cairo_stroke(cr);
cairo_restore(cr);

@ Minor ticks are half as long as major ones.
@<Draw the frame, ticks and labels of the curve@>=
double asc, desc, lasc, ldesc, tasc, tdesc;
font_metrics(tick_font, &asc, &desc);
font_metrics(axis_font, &lasc, &ldesc);
font_metrics(title_font, &tasc, &tdesc);
cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
cairo_set_line_width(cr, 0.8);
cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
cairo_stroke(cr);
for (int k = 0; k < j->tx.n; k++) {
  double x = axis_pos(&j->ax, j->tx.v[k]), w = text_width(tick_font, j->tx.label[k]);
  line(cr, x, y0, x, y0 + TICK_LEN, 0.8, 0.0);
  canvas_text(cv, tick_font, x - w / 2, y0 + TICK_LEN + TICK_PAD + asc, 0.0, j->tx.label[k]);
}
for (int k = 0; k < j->ty.n; k++) {
  double y = axis_pos(&j->ay, j->ty.v[k]), w = text_width(tick_font, j->ty.label[k]);
  line(cr, x0, y, x0 - (j->ty.major[k] ? TICK_LEN : TICK_LEN / 2), y, 0.8, 0.0);
  canvas_text(cv, tick_font, x0 - TICK_LEN - TICK_PAD - w, y + (asc - desc) / 2, 0.0,
    j->ty.label[k]);
}
@<Draw the axis titles and the title of the curve@>@;

@ The axis titles are centred on the plot, the $y$ title read upwards; the
title is centred too, but kept on the page.
@<Draw the axis titles and the title of the curve@>=
double xw = text_width(axis_font, j->xlabel), yw = text_width(axis_font, j->ylabel);
double tw = text_width(title_font, j->title);
canvas_text(cv, axis_font, (x0 + x1 - xw) / 2, CURVE_H - MARGIN - ldesc, 0.0, j->xlabel);
canvas_text(cv, axis_font, MARGIN + lasc, (y0 + y1 + yw) / 2, -90.0, j->ylabel);
canvas_text(cv, title_font, fmax(MARGIN, fmin((x0 + x1 - tw) / 2, CURVE_W - MARGIN - tw)),
  MARGIN + tasc, 0.0, j->title);

@ The two ways to draw a curve, into a file and into memory, share the job's preparation and its end.
@<Figure functions@>=
static void curve_job_end(CurveJob *j)
{
  free(j->title);
  free(j->xlabel);
  free(j->ylabel);
}

int curve_save(const Curve *c, const char *path)
{
  CurveJob j;
  if (curve_job_begin(&j, c)) return -1;
  int status = figure_save(path, CURVE_W, CURVE_H, curve_job_draw, &j);
  curve_job_end(&j);
  return status;
}

int curve_image(const Curve *c, double scale, FigImage *img)
{
  CurveJob j;
  if (curve_job_begin(&j, c)) return -1;
  int status = figure_image(CURVE_W, CURVE_H, scale, curve_job_draw, &j, img);
  curve_job_end(&j);
  return status;
}

@ @<Prototypes@>=
int curve_save(const Curve *c, const char *path);
int curve_image(const Curve *c, double scale, FigImage *img);

@*1 The commands that draw.
@^command line@>
\.{attention heatmap} translates one sentence with a saved model and draws
the attention of every word it wrote, into one or more files (\.{--out} may
be given several times: the same picture as PDF and PNG, say). It prints a
line for every file written. Its exit status is 2 for a wrong command line
and 1 for a bad model, a sentence it cannot translate, or a file it cannot
write; every output file is checked before any work is done.
@<The commands@>+=
@<The \.{heatmap} command@>@;
@<The \.{loss-curve} command@>@;

@ The figure commands' entries go last in the command table (the chapter
on the command line puts them there), and each ends with a comma.
@<Entries of the figure commands@>=
{"heatmap", "draw the attention weights of a translation (PNG, PDF or SVG)", cmd_heatmap},
{"loss-curve", "draw the average loss per epoch from train --loss-log", cmd_loss_curve},

@ \.{attention heatmap --help} lists the options:
\options{\.{--model CKPT}&the model (a safetensors checkpoint from \.{train --save})\cr
\.{--out FILE}&the figure: \.{.png}, \.{.pdf} or \.{.svg} (may be repeated)\cr
\.{--style bone\orbar ylorrd}&the notebook's \.{imshow} style with `bone' (the default),\cr
&or its \.{seaborn} style with `YlOrRd'\cr
\.{--scale data\orbar unit}&colours from the weights' own range (the default) or from 0 to 1\cr
\.{--device cpu\orbar cuda}&where a Part~II model runs (default: the processor)\cr
\.{--beam K}&draw the best translation of a beam of $K$ (default: greedy)\cr
\.{--length-penalty P}&as for \.{translate}, and so are \.{--alpha A} and \.{--max-length N}\cr}
\noindent The usage text says the same, a line for each option.
@<The \.{heatmap} command@>=
static const char *heatmap_usage =@/
  "usage: attention heatmap --model CKPT --out FILE [--out FILE ...] [OPTIONS] SENTENCE\n"@/
  "  Translates SENTENCE and draws the attention weights of every output word.\n"@/
  "  --model CKPT          the model (a safetensors checkpoint from train --save)\n"@/
  "  --out FILE            the figure; .png, .pdf or .svg (may be repeated)\n"@/
  "  --style bone|ylorrd   the notebook's imshow style with the 'bone' colormap\n"@/
  "                        (the default), or its seaborn style with 'YlOrRd'\n"@/
  "  --scale data|unit     colours from the weights' own range (the default, as\n"@/
  "                        the notebook) or from 0 to 1\n"@/
  "  --device cpu|cuda     where a Part II model runs (default: the processor)\n"@/
  "  --beam K              draw the best translation of a beam of K (default: greedy)\n"@/
  "  --length-penalty P, --alpha A, --max-length N   as for translate\n";

@ Both figure commands take \.{--out} up to |MAX_OUTS| times. |add_out|
collects the files, and |check_outs| checks every one of them before any
work is done, so that a bad name does not waste a translation or a drawing.
@<Command-line helpers@>+=
#define MAX_OUTS 8
static int add_out(const char *cmd, const char *path, const char **outs, int *n)
{
  if (*n == MAX_OUTS) {
    fprintf(stderr, "attention %s: at most %d --out files\n", cmd, MAX_OUTS);
    return -1;
  }
  outs[(*n)++] = path;
  return 0;
}

static int check_outs(const char *cmd, const char **outs, int n)
{
  for (int k = 0; k < n; k++)
    if (figure_check_path(outs[k])) {
      fprintf(stderr, "attention %s: %s\n", cmd, kit_error());
      return -1;
    }
  return 0;
}

@ A file is reported with its size and the time it took to draw and write.
@<Command-line helpers@>+=
static void report_figure(const char *path, const char *what, double seconds)
{
  FILE *f = fopen(path, "rb");
  long size = -1;
  if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  if (f) fclose(f);
  printf("Wrote %s (%s, %.1f kB, %.1f ms)\n", path, what, size / 1000.0, 1e3 * seconds);
}

@ The command reads its options, checks its output files, and then
translates and draws. The beam's options are read as \.{translate} reads
them, except the two that make no sense for one picture.
@<The \.{heatmap} command@>=
static int cmd_heatmap(int argc, char **argv)
{
  static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
    {"out", required_argument, 0, 'o'}, {"style", required_argument, 0, 's'},
    {"scale", required_argument, 0, 'S'}, {"help", no_argument, 0, 'h'}, BEAM_OPTIONS,
    {"device", required_argument, 0, OPT_DEVICE}, {0, 0, 0, 0}};
  const char *model = NULL, *outs[MAX_OUTS], *device = NULL;
  int nout = 0, c, bad = 0, style = HEATMAP_MATPLOTLIB, unit = 0, r;
  BeamChoice beam;
  beam_defaults(&beam);
  @<Read the options of \.{heatmap}, or return 2@>@;
  if (check_outs("heatmap", outs, nout)) return 1;
  @<Translate the sentence and draw its attention into every output file@>@;
}

@ \.{--n-best} and \.{--replace-unk} are refused by name; the other beam
options go to |beam_option|, and the rest to the cases below. The command
needs a model, an output file and exactly one sentence; without them it
prints its usage and exits with status 2.
@<Read the options of \.{heatmap}, or return 2@>=
opterr = 0;
optind = 1;
while (!bad && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1)
  if (c == 'N' || c == 'U') {
    fprintf(stderr, "attention heatmap: %s is an option of translate and eval only\n",
      c == 'N' ? "--n-best" : "--replace-unk");
    bad = 1;
  } else if ((r = beam_option("heatmap", c, optarg, &beam)) != 0) bad = r < 0;
  else switch (c) {
  @<Cases for the options of \.{heatmap}@>@;
}
if (!bad && (!model || nout == 0 || argc - optind != 1)) {
  fprintf(stderr, "attention heatmap: %s\n", !model ? "--model CKPT is required" :
    nout == 0 ? "--out FILE is required" : "give exactly one SENTENCE");
  bad = 1;
}
if (bad) {
  fputs(heatmap_usage, stderr);
  return 2;
}

@ A style or a scale is one of two names, and \.{ylorrd} may be written
as the colormap's own name, \.{YlOrRd}. \.{--help} prints the usage on
the standard output and exits.
@<Cases for the options of \.{heatmap}@>=
case 'm': model = optarg; break;
case 'o': bad = add_out("heatmap", optarg, outs, &nout) != 0; break;
case 's':
  if (strcmp(optarg, "bone") == 0) style = HEATMAP_MATPLOTLIB;
  else if (strcmp(optarg, "ylorrd") == 0 || strcmp(optarg, "YlOrRd") == 0) style = HEATMAP_SEABORN;
  else fprintf(stderr, "attention heatmap: --style is 'bone' or 'ylorrd', not \"%s\"\n", optarg),
    bad = 1;
  break;
case 'S':
  if (strcmp(optarg, "data") == 0 || strcmp(optarg, "unit") == 0) unit = optarg[0] == 'u';
  else fprintf(stderr, "attention heatmap: --scale is 'data' or 'unit', not \"%s\"\n", optarg),
    bad = 1;
  break;
case OPT_DEVICE: bad = device_bad("heatmap", device = optarg); break;
case 'h': fputs(heatmap_usage, stdout); exit(check_stdout("heatmap", 0));
case ':': fprintf(stderr, "attention heatmap: %s needs a value\n", argv[optind - 1]);
  bad = 1;
  break;
default: fprintf(stderr, "attention heatmap: unknown option \"%s\"\n", argv[optind - 1]);
  bad = 1;

@ The sentence is normalised and translated as \.{attention translate} does,
greedily or with \.{--beam} (then the figure is the best translation's, whose
attention rows the beam keeps as greedy decoding does);
|greedy_decode| keeps a row of $L$ weights for every step, and the figure
shows the first |n| rows (the words written; the step that wrote \EOS\ is
left out, as in the notebook) and the first |T| columns (the words read).
@<Translate the sentence and draw its attention into every output file@>=
Model m;
BModel bm;
@<Load the model of \.{heatmap} and check the beam's options against it, or return@>@;
const Vocab *vi = kind ? &bm.vin : &m.vin, *vo = kind ? &bm.vout : &m.vout;
int L = kind ? bm.cfg.L : m.cfg.L, *src = xcalloc((size_t) L, sizeof(int));
int *out = xcalloc((size_t) L, sizeof(int));
float *attn = xcalloc((size_t) L * L, sizeof(float));
int status = 1, T = -1, n = 0;
size_t badbyte;
char *norm = normalize_sentence(argv[optind], strlen(argv[optind]), &badbyte);
@<Number |norm| into |src| and translate it into |out| and |attn|, or say why not@>@;
if (n > 0) {
  @<Draw the heatmap of |attn| into each of |outs|@>@;
} else fprintf(stderr, "attention heatmap: %s\n", kit_error());
free(norm), free(src), free(out), free(attn);
if (kind == KIND_SEED) model_free(&m);
else bmodel_free(&bm);
return status;

@ A model of either part is loaded onto the backend that \.{--device}
names (the notebook's seed model only onto the CPU), with room for a beam's
rows when a beam is asked for. The beam's choices are then checked against
the model's length and vocabulary.
@<Load the model of \.{heatmap} and check the beam's options against it, or return@>=
const Backend *be = backend_for("heatmap", device);
if (!be) return 1;
int kind = checkpoint_load_any(model, &m, &bm, be, beam.used ? 64 : 1);
if (kind < 0) {
  fprintf(stderr, "attention heatmap: %s\n", kit_error());
  return 1;
}
if (kind == KIND_SEED && be != &cpu_backend) {
  fprintf(stderr, "attention heatmap: %s holds the notebook's seed model, which runs "
    "on the CPU only; drop --device cuda\n", model);
  model_free(&m);
  return 2;
}
if (beam_check("heatmap", &beam, kind ? bm.cfg.L : m.cfg.L, kind ? &bm.vout : &m.vout)) {
  if (kind == KIND_SEED) model_free(&m);
  else bmodel_free(&bm);
  return 2;
}

@ |T| is the number of words read, $-1$ until the sentence is read and
when it cannot be, and |n| the number of words written. A sentence without
words, or a translation without words, has no attention to draw: each is
an error.
@<Number |norm| into |src| and translate it into |out| and |attn|...@>=
if (!norm) kit_fail("the sentence: invalid UTF-8 at byte %zu", badbyte + 1);
else if (kind == KIND_SEED) T = tokenize(vi, norm, src, L, "the sentence", "English");
else @<Number the sentence for a Part II model, and translate it@>@;
if (T == 0) kit_fail("the sentence has no words");
else if (T > 0 && beam.used) n = beam_best(kind ? bmodel_decoder(&bm) : model_decoder(&m),
  src, T, &beam.o, out, attn);
else if (T > 0 && kind == KIND_SEED) n = greedy_decode(&m, src, T, out, attn);
if (T > 0 && n == 0)
  kit_fail("the model translates \"%s\" into nothing: there is no attention to draw", norm);

@ A Part II model reads the sentence with its \EOS, and the figure shows the
\EOS\ column too: the model may look there.
@<Number the sentence for a Part II model, and translate it@>=
{
  Example e;
  int unknown = 0;
  memset(&e, 0, sizeof e);
  T = tokenize_unk(vi, norm, e.src, L - 1, &unknown);
  if (unknown) {
    Vocab seen;
    vocab_init(&seen);
    warn_unknown("heatmap", vi, &seen, norm, "the sentence");
    vocab_free(&seen);
  }
  if (T < 0) kit_fail("the sentence has more than %d words, the most this model reads", L - 1);
  else if (T > 0) {
    e.src[T++] = EOS_TOKEN;
    e.src_len = T;
    memcpy(src, e.src, (size_t) T * sizeof(int));
    if (!beam.used) bmodel_greedy(&bm, &e, 1, out, &n, attn);
  }
}

@ The title is the notebook's, with a real arrow.
@<Draw the heatmap of |attn| into each of |outs|@>=
const char **rw = xcalloc((size_t) n, sizeof(char *)), **cw = xcalloc((size_t) T, sizeof(char *));
for (int i = 0; i < n; i++) rw[i] = vo->word[out[i]];
for (int j = 0; j < T; j++) cw[j] = vi->word[src[j]];
char *fr = words_join(vo, out, n), *title = xcalloc(strlen(norm) + strlen(fr) + 64, 1);
sprintf(title, "Attention Mechanism: \"%s\" \xe2\x86\x92 \"%s\"", norm, fr); /* U+2192 */
Heatmap h = {n, T, attn, L, rw, cw, title, style == HEATMAP_SEABORN ? &colormap_ylorrd :
  &colormap_bone, style, 0.0, unit ? 1.0 : 0.0};
char what[64];
snprintf(what, sizeof what, "%d x %d attention weights", n, T);
status = 0;
for (int k = 0; k < nout && status == 0; k++) {
  double t0 = now_seconds();
  if (heatmap_save(&h, outs[k])) {
    fprintf(stderr, "attention heatmap: %s\n", kit_error());
    status = 1;
  } else report_figure(outs[k], what, now_seconds() - t0);
}
free(rw), free(cw), free(fr), free(title);

@ What do the pictures show? Figure~10 is the notebook's second style, on
``we are engineers''.

\kitfigure{../figures/heatmap-ylorrd-we-are-engineers.pdf}{.95\hsize}{Figure~10.
The same model on ``we are engineers''. The model of Figure~8, in the
notebook's second style
(\PB{seaborn}'s \.{heatmap} with `YlOrRd'): here a dark cell is a large
weight.}

\noindent While it writes ``sommes'' the decoder looks at
``engineers'' (weight 0.89); while it writes ``nous'' and ``ingenieurs'' it
looks at almost nothing in the sentence. The weights of a row need not add
up to one: the notebook's attention is spread over all $L=10$ slots, the
padding after the sentence included (the second of its bugs), and a figure
trimmed to the real words, as the notebook's are, does not show where the
rest went. In the run that drew these figures, the step that wrote ``nous''
put 0.95 of its attention on the ninth slot, six places after the end of the
sentence, and the first word of every one of the five sentences puts 0.82 to
0.95 of its attention on that same slot. The
notebook's attention computes its scores from the decoder's word and state
only, never from the encoder's outputs, so it learns {\it where\/} to look,
not {\it what\/} to look at, and a padding slot, always zero, is as good a
place as any to put a weight that should change nothing. The heatmaps make
that visible at a glance; the printed matrix did not.
@^padding@>

@ Training writes the loss log when asked: \.{train --loss-log FILE} keeps
the average loss of every epoch and, after training, writes one line per
epoch, the epoch and the loss separated by a tab, into |FILE| (atomically,
as figures are written). Whether the file can be written is checked before
training starts, not after an hour of it. These are the three small hooks in
\.{train}.
@^loss log@>
@<Command-line helpers@>+=
#include <unistd.h>
static const char *loss_log_path; /* \.{train --loss-log} */
static double *loss_log;
static long loss_log_n, loss_log_cap;

static void loss_log_add(double loss)
{
  if (!loss_log_path) return;
  if (loss_log_n == loss_log_cap) {
    loss_log_cap = loss_log_cap ? 2 * loss_log_cap : 1024;
    loss_log = xrealloc(loss_log, (size_t) loss_log_cap * sizeof(double));
  }
  loss_log[loss_log_n++] = loss;
}

@ |loss_log_check| runs before training: the folder of the log must be
writable, and the log itself a target that a save accepts. |loss_log_save|
runs after it and writes all the lines at once.
@<Command-line helpers@>+=
static int loss_log_check(void)
{
  const char *slash = strrchr(loss_log_path, '/');
  char *dir = slash ? xstrdup(loss_log_path) : xstrdup(".");
  if (slash) dir[slash == loss_log_path ? 1 : slash - loss_log_path] = 0;
  int ok = access(dir, W_OK) == 0;
  if (!ok) fprintf(stderr, "attention train: %s: cannot write the loss log: %s: %s\n",
    loss_log_path, dir, strerror(errno));
  else if (save_target_check(loss_log_path))
    ok = 0, fprintf(stderr, "attention train: %s\n", kit_error());
  free(dir);
  return ok ? 0 : -1;
}

static int loss_log_save(void)
{
  char *text = xcalloc((size_t) loss_log_n + 1, 40), *p = text;
  for (long e = 0; e < loss_log_n; e++) p += sprintf(p, "%ld\t%.9g\n", e + 1, loss_log[e]);
  int status = write_file_atomic(loss_log_path, text, (size_t) (p - text));
  if (status) fprintf(stderr, "attention train: %s\n", kit_error());
  free(text);
  free(loss_log);
  return status;
}

@ \.{attention loss-curve} reads such a log and draws it. A line that is not
an epoch, a tab and a number is an error that names the file and the line.
Its options:
\options{\.{--log FILE}&lines of an epoch, a tab and the average loss\cr
\.{--out FILE}&the figure: \.{.png}, \.{.pdf} or \.{.svg} (may be repeated)\cr
\.{--title TEXT}&the title (default: `Training: average loss per epoch')\cr}
@<The \.{loss-curve} command@>=
static const char *loss_curve_usage =@/
  "usage: attention loss-curve --log FILE --out FILE [--out FILE ...] [--title TEXT]\n"@/
  "  Draws the average loss per epoch written by 'attention train --loss-log FILE'.\n"@/
  "  --log FILE     lines of 'epoch<TAB>average loss'\n"@/
  "  --out FILE     the figure; .png, .pdf or .svg (may be repeated)\n"@/
  "  --title TEXT   the title (default: 'Training: average loss per epoch')\n";

@ The log is read into two growing arrays, epochs and losses. A long line
cannot hide a bad one: \.{\%c} after the numbers catches anything left over.
@<The \.{loss-curve} command@>=
static int read_loss_log(const char *path, double **x, double **y, int *n)
{
  FILE *f = fopen(path, "r");
  if (!f) return kit_fail("%s: %s", path, strerror(errno));
  char line[256];
  int cap = 0;
  *n = 0, *x = NULL, *y = NULL;
  for (long k = 1; fgets(line, sizeof line, f); k++) {
    double e, v;
    char tail;
    if (sscanf(line, "%lf\t%lf %c", &e, &v, &tail) != 2 || !isfinite(e) || !isfinite(v)) {
      fclose(f);
      free(*x), free(*y);
      return kit_fail("%s: line %ld: expected an epoch, a tab and a finite loss", path, k);
    }
    @<Append |e| and |v| to the arrays, doubling them when full@>@;
  }
  fclose(f);
  return *n > 0 ? 0 : kit_fail("%s: no epochs in the file", path);
}

@ The arrays start with room for 1024 epochs and double when they are full,
so a log of $n$ epochs costs $O(n)$ copying in all.
@<Append |e| and |v| to the arrays, doubling them when full@>=
if (*n == cap) {
  cap = cap ? 2 * cap : 1024;
  *x = xrealloc(*x, (size_t) cap * sizeof(double));
  *y = xrealloc(*y, (size_t) cap * sizeof(double));
}
(*x)[*n] = e, (*y)[(*n)++] = v;

@ The command reads its options, then the log, and draws.
@<The \.{loss-curve} command@>=
static int cmd_loss_curve(int argc, char **argv)
{
  static const struct option longopts[] = {{"log", required_argument, 0, 'l'},
    {"out", required_argument, 0, 'o'}, {"title", required_argument, 0, 't'},
    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *logfile = NULL, *outs[MAX_OUTS], *title = "Training: average loss per epoch";
  int nout = 0, c, bad = 0;
  @<Read the options of \.{loss-curve}, or return@>@;
  @<Read the log and draw the curve into every output file@>@;
}

@ The log and at least one output file are required, and nothing else may
follow the options. A wrong command line gets the usage and status 2;
\.{--help} gets the usage on the standard output and status 0.
@<Read the options of \.{loss-curve}, or return@>=
opterr = 0;
optind = 1;
while (!bad && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
  if (c == 'l') logfile = optarg;
  else if (c == 'o') bad = add_out("loss-curve", optarg, outs, &nout) != 0;
  else if (c == 't') title = optarg;
  else if (c == 'h') {
    fputs(loss_curve_usage, stdout);
    return 0;
  } else {
    fprintf(stderr, "attention loss-curve: %s \"%s\"\n", c == ':' ? "missing value for" :
      "unknown option", argv[optind - 1]);
    bad = 1;
  }
}
if (!bad && (!logfile || nout == 0 || optind < argc)) {
  fprintf(stderr, "attention loss-curve: %s\n", !logfile ? "--log FILE is required" :
    nout == 0 ? "--out FILE is required" : "unexpected argument");
  bad = 1;
}
if (bad) {
  fputs(loss_curve_usage, stderr);
  return 2;
}

@ The output files are checked before the log is read. Each file is drawn
and reported in turn; the first that fails stops the command with status 1.
@<Read the log and draw the curve into every output file@>=
double *x = NULL, *y = NULL;
int n = 0;
if (check_outs("loss-curve", outs, nout)) return 1;
if (read_loss_log(logfile, &x, &y, &n)) {
  fprintf(stderr, "attention loss-curve: %s\n", kit_error());
  return 1;
}
Curve cv = {n, x, y, title, "Epoch", "Average loss"};
int status = 0;
char what[64];
snprintf(what, sizeof what, "%d epochs", n);
for (int k = 0; k < nout && status == 0; k++) {
  double t0 = now_seconds();
  if (curve_save(&cv, outs[k])) {
    fprintf(stderr, "attention loss-curve: %s\n", kit_error());
    status = 1;
  } else report_figure(outs[k], what, now_seconds() - t0);
}
free(x), free(y);
return status;

@* The command line.
@^command line@>
The program \.{attention} has eight commands: \.{train} trains a model of
any kind on the notebook's pairs or on a file and can save it;
\.{translate} loads a saved model and translates sentences; \.{pairs} shows
what the reader and the filter make of a file; \.{split}, \.{eval} and
\.{bleu} make a held-out test set and score translations on it; \.{heatmap}
and \.{loss-curve} draw the figures of the previous chapter. Each command
prints its options with \.{--help}. Errors go to the standard error stream with the
program's name first; the exit status is 2 for a wrong command line and 1
for bad data, a bad model file or an unknown word.
@^exit status@>

The command line is the file \.{generated/main.c}, the only part of the
program outside the library: its helpers, its commands and the table that
|main| looks a command up in.
@(generated/main.c@>=
#include "attention.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
@<Command-line helpers@>@;
@<The commands@>@;

static const struct {
  const char *name, *summary;
  int (*run)(int argc, char **argv);
} commands[] = {
  @<Entries of the command table@>@;
};

@ |main| runs the command that its first argument names, with the arguments
after the program's name; anything else gets the list of commands.
@(generated/main.c@>=
int main(int argc, char **argv)
{
  size_t n = sizeof commands / sizeof commands[0];
  if (argc >= 2)
    for (size_t k = 0; k < n; k++)
      if (strcmp(argv[1], commands[k].name) == 0)
        return check_stdout(commands[k].name, commands[k].run(argc - 1, argv + 1));
  @<Print the list of commands: asked for, on standard output with status 0,
    or after a wrong command, on standard error with status 2@>@;
}

@ A command's output may not have arrived: the standard output may be a full
disk, a closed pipe's end or \.{/dev/full}, and |printf| says nothing of it.
So when a command has finished, the standard output is flushed and its error
flag read; a failed write is an error with a message on the standard error
stream and status 1 (or the command's own non-zero status).
@<Command-line helpers@>+=
static int check_stdout(const char *cmd, int status)
{
  int err = fflush(stdout) != 0 ? errno : 0;
  if (!err && !ferror(stdout)) return status;
  fprintf(stderr, "attention%s%s: cannot write the standard output%s%s\n", cmd ? " " : "",
    cmd ? cmd : "", err ? ": " : "", err ? strerror(err) : "");
  return status ? status : 1;
}

@ Without a command, or with a command it does not know, the program prints
its usage: a line for each entry of the command table, the name and its
summary. The list is
\options{\.{train}&train a translator (the notebook's five pairs, or a pair file)\cr
\.{translate}&translate sentences with a saved model\cr
\.{pairs}&print the pairs that training would read from a file\cr
\.{heatmap}&draw the attention weights of a translation (PNG, PDF or SVG)\cr
\.{loss-curve}&draw the average loss per epoch from \.{train --loss-log}\cr
\.{bleu}&score translations against references (corpus BLEU-4, \.{sacreBLEU}'s form)\cr
\.{split}&split a pair file into train, valid and test files by English sentence\cr
\.{eval}&translate a pair file and report BLEU, exact matches and speed\cr}
\noindent Asked for (\.{--help}, \.{-h} or \.{help}), it goes to the standard
output with status 0; after a wrong command, to the standard error stream
with status 2.
@<Print the list of commands...@>=
FILE *out = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
  || strcmp(argv[1], "help") == 0) ? stdout : stderr;
if (out == stderr && argc >= 2) fprintf(stderr, "attention: unknown command \"%s\"\n", argv[1]);
fputs("usage: attention COMMAND [OPTIONS]\n", out);
for (size_t k = 0; k < n; k++) fprintf(out, "  %-10s %s\n", commands[k].name, commands[k].summary);
fputs("Run 'attention COMMAND --help' for a command's options.\n", out);
return out == stdout ? check_stdout(NULL, 0) : 2;

@ Each command is a function that takes the arguments after the program's
name (its own name first, as |getopt| expects) and returns the exit status.
Every entry ends with a comma, so that entries can be added in any order.
@<Entries of the command table@>=
{"train", "train a translator (the notebook's five pairs, or a pair file)", cmd_train},
{"translate", "translate sentences with a saved model", cmd_translate},
{"pairs", "print the pairs that training would read from a file", cmd_pairs},
@<Entries of the figure commands@>@;

@ This list holds the functions of the commands: Part~I's three here, and
the others where their chapters add them.
@<The commands@>=
@<The \.{train} command@>@;
@<The \.{translate} command@>@;
@<The \.{pairs} command@>@;

@ Numbers on the command line are read strictly: \.{--epochs 4OO} is an
error, not 4.
@<Command-line helpers@>=
static int parse_long(const char *cmd, const char *opt, const char *s, long lo,
  long hi, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    fprintf(stderr, "attention %s: %s wants a whole number from %ld to %ld, not \"%s\"\n",
      cmd, opt, lo, hi, s);
    return -1;
  }
  *out = v;
  return 0;
}

@ A real number likewise must be all number, and lie in $({\it lo},{\it hi}]$.
@<Command-line helpers@>=
static int parse_float(const char *cmd, const char *opt, const char *s, double lo,
  double hi, double *out)
{
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v > lo && v <= hi)) {
    fprintf(stderr, "attention %s: %s wants a number above %g and at most %g, not \"%s\"\n",
      cmd, opt, lo, hi, s);
    return -1;
  }
  *out = v;
  return 0;
}

@ Training is timed with the monotonic clock, which does not jump when the
system's time of day is set.
@<Command-line helpers@>=
static double now_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

@ \.{--device cpu} (the default) or \.{--device cuda} chooses the backend of
a Part~II model on \.{train}, \.{translate} and \.{heatmap}. The name is
checked when the options are read; the GPU is looked for when the command
starts, and a program built without CUDA, or a machine without a GPU, is an
error (status 1) that says which. The card's name goes to the standard
error stream, so that \.{translate}'s output stays one line per sentence.
@^GPU@>
The option has no one-letter name, so its code is above every letter's.
@<Command-line helpers@>=
#define OPT_DEVICE 256
static int device_bad(const char *cmd, const char *device)
{
  if (strcmp(device, "cpu") == 0 || strcmp(device, "cuda") == 0) return 0;
  fprintf(stderr, "attention %s: --device is 'cpu' or 'cuda', not \"%s\"\n", cmd, device);
  return 1;
}

static const Backend *backend_for(const char *cmd, const char *device)
{
  char msg[512];
  if (!device || strcmp(device, "cpu") == 0) return &cpu_backend;
  const Backend *be = cuda_backend_open(msg, sizeof msg);
  if (be) fprintf(stderr, "attention %s: running on the GPU: %s\n", cmd, msg);
  else fprintf(stderr, "attention %s: --device cuda: %s\n", cmd, msg);
  return be;
}

@ The \.{train} command's options. The defaults are the notebook's: hidden
size 128, 400 epochs, learning rate 0.01. The usage text has two parts:
Part~I's options, and those that only Part~II's kinds use.
@<The \.{train} command@>=
static const char *train_usage =@/
  @<The options of \.{train}, for its usage@>@/
  @<Part II's options of \.{train}, for its usage@>;

@ The first part of the usage names the options of Part~I's model:
\options{\.{--pairs seed}&the notebook's five English--French pairs (the default)\cr
\.{--data FILE}&pairs from a file: English, a tab, French (a tab and anything more), UTF-8\cr
\.{--filter KIND}&for \.{--data}: \.{tutorial} (length and English prefixes, the default)\cr
&or \.{length} (only sentences of fewer than \.{--max-length} words)\cr
\.{--epochs N}&passes over the pairs (default 400)\cr
\.{--hidden H}&the hidden size (default 128)\cr
\.{--max-length L}&attention slots and the longest sentence (default 10)\cr
\.{--lr X}&Adam's learning rate (default 0.01)\cr
\.{--seed S}&the seed of the random initial weights (default 1)\cr
\.{--init CKPT}&start from a checkpoint's weights and vocabularies\cr
\.{--save CKPT}&save the trained model (safetensors)\cr
\.{--no-eos}&do not end the targets with \EOS\ (the notebook's bug)\cr
\.{--print-every K}&print the loss every $K$ epochs (default 50)\cr
\.{--show N}&print $N$ translations after training (default 5)\cr
\.{--loss-log FILE}&write lines of an epoch, a tab and the average loss to the file\cr
\.{--threads N}&1, or 2 to run the encoder on a second core (default: 2 when the\cr
&machine has two cores); the result is the same either way\cr}
@<The options of \.{train}, for its usage@>=
"usage: attention train [--pairs seed | --data FILE] [OPTIONS]\n"@/
"  --pairs seed        the notebook's five English-French pairs (the default)\n"@/
"  --data FILE         pairs from FILE: English<TAB>French[<TAB>anything], UTF-8\n"@/
"  --filter KIND       for --data: 'tutorial' (length and English prefixes,\n"@/
"                      the default) or 'length' (only fewer than max-length words)\n"@/
"  --epochs N          passes over the pairs (default 400)\n"@/
"  --hidden H          hidden size (default 128)\n"@/
"  --max-length L      attention slots and longest sentence (default 10)\n"@/
"  --lr X              Adam's learning rate (default 0.01)\n"@/
"  --seed S            seed of the random initial weights (default 1)\n"@/
"  --init CKPT         start from a checkpoint's weights and vocabularies\n"@/
"  --save CKPT         save the trained model (safetensors)\n"@/
"  --no-eos            do not end targets with <EOS> (the notebook's bug)\n"@/
"  --print-every K     print the loss every K epochs (default 50)\n"@/
"  --show N            print N translations after training (default 5)\n"@/
"  --loss-log FILE     write 'epoch<TAB>average loss' lines to FILE\n"@/
"  --threads N         1, or 2 to run the encoder on a second core (default:\n"@/
"                      2 when the machine has two cores); same result either way\n"

@ The second part names the options of Part~II's kinds (content-based
attention, minibatches). For these kinds \.{--epochs} defaults to 10,
\.{--lr} to 0.001 and \.{--print-every} to 1.
\options{\.{--attention KIND}&\.{seed} (the notebook's; the default for \.{--pairs seed}),\cr
&\.{bahdanau} (the default for \.{--data}), \.{luong-dot}, \.{luong-general} or \.{multihead}\cr
\.{--heads N}&heads of \.{multihead} attention, dividing \.{--hidden} (default 4)\cr
\.{--batch B}&sentence pairs per step (default 32)\cr
\.{--dropout P}&dropout on the embeddings in training (default 0.1)\cr
\.{--min-count N}&words seen fewer than $N$ times become \.{<UNK>} (default 1)\cr
\.{--no-shuffle}&keep the file's order (default: shuffled each epoch by \.{--seed})\cr
\.{--bucket}&batch sentences of similar lengths together (less padding)\cr
\.{--valid FILE}&validation pairs; \.{--save} keeps the best model by their loss\cr
\.{--valid-split F}&hold out a share $F$ ($0<F<1$) of the pairs for validation\cr
\.{--device cpu\orbar cuda}&the processor (the default) or the GPU\cr}
@<Part II's options of \.{train}, for its usage@>=
"Part II (content-based attention, minibatches):\n"@/
"  --attention KIND    seed (the notebook's; the default for --pairs seed),\n"@/
"                      bahdanau (the default for --data), luong-dot,\n"@/
"                      luong-general or multihead\n"@/
"  --heads N           heads of multihead attention, dividing --hidden (default 4)\n"@/
"  --batch B           sentence pairs per step (default 32)\n"@/
"  --dropout P         dropout on the embeddings in training (default 0.1)\n"@/
"  --min-count N       words seen fewer than N times become <UNK> (default 1)\n"@/
"  --no-shuffle        keep the file's order (default: shuffled each epoch by --seed)\n"@/
"  --bucket            batch sentences of similar lengths together (less padding)\n"@/
"  --valid FILE        validation pairs; --save keeps the best model by their loss\n"@/
"  --valid-split F     hold out a share F (0 < F < 1) of the pairs for validation\n"@/
"  --device cpu|cuda   the processor (the default) or the GPU\n"@/
"  (for these kinds --epochs defaults to 10, --lr to 0.001, --print-every to 1)\n"

@ The options are read into a |TrainOptions|. |hidden|, |max_length|,
|print_every|, |threads| and |lr| start at 0, and |epochs| at $-1$, meaning
that the command line did not give them: their defaults depend on the kind
of attention, the checkpoint or the machine, and are filled in when those
are known.
@<The \.{train} command@>=
typedef struct {
  const char *data, *init, *save;
  int filter, append_eos;
  long epochs, hidden, max_length, seed, print_every, show, threads;
  double lr;
  @<Part II's fields of the options of \.{train}@>@;
} TrainOptions;
static int train_batched(TrainOptions *o, int kind);

@ |train_options| reads the command line into |*o|. A wrong option, a bad
value or a word after the options prints the usage on the standard error
stream, and the function returns $-1$.
@<The \.{train} command@>=
static int train_options(int argc, char **argv, TrainOptions *o)
{
  static const struct option longopts[] = {
    @<The long options of \.{train}@>@;
    @<Part II's long options of \.{train}@>@;
    {0, 0, 0, 0}};
  *o = (TrainOptions) {NULL, NULL, NULL, FILTER_TUTORIAL, 1, -1, 0, 0, 1, 0, 5, 0, 0.0,
    -1, 0, 32, 0.1, 1, 1, 0, NULL, 0.0};
  int c, bad = 0;
  opterr = 0;
  optind = 1;
  while (!bad && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) switch (c) {
    @<Cases for the options of \.{train}@>@;
  }
  if (!bad && optind < argc) {
    fprintf(stderr, "attention train: unexpected argument \"%s\"\n", argv[optind]);
    bad = 1;
  }
  if (bad) fputs(train_usage, stderr);
  return bad ? -1 : 0;
}

@ Each long option has a letter, the case that reads it. Only \.{-h} is also
a short option; the other letters are codes, not options.
@<The long options of \.{train}@>=
{"pairs", required_argument, 0, 'p'}, {"data", required_argument, 0, 'd'},
{"filter", required_argument, 0, 'f'}, {"epochs", required_argument, 0, 'e'},
{"hidden", required_argument, 0, 'H'}, {"max-length", required_argument, 0, 'L'},
{"lr", required_argument, 0, 'l'}, {"seed", required_argument, 0, 's'},
{"init", required_argument, 0, 'i'}, {"save", required_argument, 0, 'o'},
{"no-eos", no_argument, 0, 'n'}, {"print-every", required_argument, 0, 'P'},
{"show", required_argument, 0, 'S'}, {"help", no_argument, 0, 'h'},
{"loss-log", required_argument, 0, 'g'}, {"threads", required_argument, 0, 'T'},

@ The data: the notebook's pairs (the only pairs that \.{--pairs} knows),
or a file, and the filter that the file's pairs pass.
@<Cases for the options of \.{train}@>=
case 'p':
  if (strcmp(optarg, "seed") != 0) {
    fprintf(stderr, "attention train: --pairs knows only 'seed'; use --data FILE for a file\n");
    bad = 1;
  }
  o->data = NULL;
  break;
case 'd': o->data = optarg; break;
case 'f':
  if (strcmp(optarg, "tutorial") == 0) o->filter = FILTER_TUTORIAL;
  else if (strcmp(optarg, "length") == 0) o->filter = FILTER_LENGTH;
  else {
    fprintf(stderr, "attention train: --filter is 'tutorial' or 'length', not \"%s\"\n", optarg);
    bad = 1;
  }
  break;

@ Numbers are read strictly, each within its range; the others are names
and switches.
@<Cases for the options of \.{train}@>=
case 'e': bad = parse_long("train", "--epochs", optarg, 0, 100000000, &o->epochs) != 0; break;
case 'H': bad = parse_long("train", "--hidden", optarg, 1, 65536, &o->hidden) != 0; break;
case 'L': bad = parse_long("train", "--max-length", optarg, 1, DEFAULT_MAX_LENGTH * 4,
    &o->max_length) != 0; break;
case 'l': bad = parse_float("train", "--lr", optarg, 0.0, 10.0, &o->lr) != 0; break;
case 's': bad = parse_long("train", "--seed", optarg, 0, 0x7fffffffffffL, &o->seed) != 0; break;
case 'i': o->init = optarg; break;
case 'o': o->save = optarg; break;
case 'n': o->append_eos = 0; break;
case 'P': bad = parse_long("train", "--print-every", optarg, 1, 100000000, &o->print_every) != 0;
  break;
case 'S': bad = parse_long("train", "--show", optarg, 0, 100000000, &o->show) != 0; break;
case 'T': bad = parse_long("train", "--threads", optarg, 1, 2, &o->threads) != 0; break;
@<Part II's cases of the options of \.{train}@>@;
case 'g': loss_log_path = optarg; break; /* see the chapter on figures */
case 'h': fputs(train_usage, stdout); exit(check_stdout("train", 0));
case ':':
  fprintf(stderr, "attention train: %s needs a value\n", argv[optind - 1]);
  bad = 1;
  break;
default:
  fprintf(stderr, "attention train: unknown option \"%s\"\n", argv[optind - 1]);
  bad = 1;

@ Training is the notebook's loop: every epoch visits the pairs in order and
takes one Adam step per pair. The model comes from a checkpoint (\.{--init})
or from the random initialisation with the vocabularies of the pairs.
@<The \.{train} command@>=
static int cmd_train(int argc, char **argv)
{
  TrainOptions o;
  PairList pl;
  Model m;
  Example *ex = NULL;
  int status = 0;
  @<Read and check the options of \.{train}, or return@>@;
  @<Choose the kind of attention; train a Part II kind elsewhere@>@;
  @<Read the pairs, from the file or built in, or return@>@;
  @<Make the model, from the checkpoint or from the pairs@>@;
  @<Turn the pairs into examples with the model's vocabularies, or return@>@;
  @<Report the data and the model@>@;
  @<Train for |o.epochs| epochs, printing the loss@>@;
  @<Save the model, if asked to@>@;
  @<Show translations of the training pairs next to the truth@>@;
  if (loss_log_path && loss_log_save()) status = 1;
  free(ex);
  pairs_free(&pl);
  model_free(&m);
  return status;
}

@ The kind is \.{--attention}'s, or the checkpoint's with \.{--init}, or by
default \.{seed} for the notebook's pairs and \.{bahdanau} for a file. The
notebook's kind keeps the notebook's defaults.
@<Choose the kind of attention; train a Part II kind elsewhere@>=
int kind = o.kind;
if (o.init) @<Take the kind of the checkpoint of \.{--init}, or return@>@;
if (kind < 0) kind = o.data ? KIND_BAHDANAU : KIND_SEED;
if (kind != KIND_SEED) return train_batched(&o, kind);
if (o.device && strcmp(o.device, "cpu") != 0) {
  fprintf(stderr, "attention train: the notebook's seed model runs on the CPU only; "
    "--device cuda is for the Part II kinds\n");
  return 2;
}
if (o.epochs < 0) o.epochs = 400;
if (o.print_every == 0) o.print_every = 50;
if (o.lr == 0.0) o.lr = 0.01;

@ The checkpoint is loaded only to learn its kind, and freed at once; the
kind's own code loads it again. An \.{--attention} that names another kind
is an error of the command line.
@<Take the kind of the checkpoint of \.{--init}, or return@>=
{
  Model pm;
  BModel pb;
  int k = checkpoint_load_any(o.init, &pm, &pb, &cpu_backend, 1);
  if (k < 0) {
    fprintf(stderr, "attention train: %s\n", kit_error());
    return 1;
  }
  if (k == KIND_SEED) model_free(&pm);
  else bmodel_free(&pb);
  if (kind >= 0 && kind != k) {
    fprintf(stderr, "attention train: --attention %s, but %s holds a %s model\n",
      kind_names[kind], o.init, kind_names[k]);
    return 2;
  }
  kind = k;
}

@ A checkpoint fixes the model's sizes, so \.{--init} cannot be combined with
options that set them. A loss log that could not be written at the end, or
a |--save| target that a save would refuse, is found out now, before the
training time is spent.
@<Read and check the options of \.{train}, or return@>=
if (train_options(argc, argv, &o)) return 2;
if (loss_log_path && loss_log_check()) return 1;
if (o.save && save_target_check(o.save)) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  return 1;
}
if (o.init && (o.hidden || o.max_length)) {
  fprintf(stderr, "attention train: --init takes the sizes from the checkpoint; "
    "drop --hidden and --max-length\n");
  return 2;
}
int max_length = o.max_length ? (int) o.max_length : DEFAULT_MAX_LENGTH;

@ A file is read with the filter and the longest sentence of the options;
a file that cannot be read stops the command with status 1.
@<Read the pairs, from the file or built in, or return@>=
if (o.data) {
  if (pairs_read(&pl, o.data, o.filter, max_length)) {
    fprintf(stderr, "attention train: %s\n", kit_error());
    return 1;
  }
} else pairs_seed(&pl);

@ With vocabularies from a checkpoint, a word of the pairs may be unknown:
that is an error naming the word and its line.
@<Turn the pairs into examples with the model's vocabularies, or return@>=
if (make_examples(&pl, &m.vin, &m.vout, m.cfg.L, o.append_eos, &ex)) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  pairs_free(&pl);
  model_free(&m);
  return 1;
}

@ A failed save is reported, and the translations are still shown: the
training was not wasted on the screen.
@<Save the model, if asked to@>=
if (o.save && checkpoint_save(&m, o.save)) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  status = 1;
}

@ A new model takes its vocabularies from the pairs and its weights from
the seed; a checkpoint brings both, and its sizes.
@<Make the model, from the checkpoint or from the pairs@>=
if (o.init) {
  if (checkpoint_load(&m, o.init)) {
    fprintf(stderr, "attention train: %s\n", kit_error());
    pairs_free(&pl);
    return 1;
  }
} else {
  Vocab vin, vout;
  pairs_vocabularies(&pl, &vin, &vout);
  Config cfg = {vin.n, vout.n, o.hidden ? (int) o.hidden : DEFAULT_HIDDEN, max_length};
  model_alloc(&m, &cfg, &vin, &vout);
  model_init_random(&m, (uint64_t) o.seed);
}

@ Before the first epoch the command says what it will train on and what
it will train: the pairs kept, the vocabularies, the model's size and the
number of epochs.
@<Report the data and the model@>=
if (o.data) printf("Read %ld sentence pairs from %s; kept %d (%s filter)\n",
  pl.lines_read, o.data, pl.n, o.filter == FILTER_TUTORIAL ? "tutorial" : "length");
else printf("Data: the notebook's %d sentence pairs\n", pl.n);
printf("Vocabulary: English %d words, French %d words (with <SOS> and <EOS>)\n",
  m.vin.n, m.vout.n);
printf("Model: hidden %d, max_length %d, attention seed, %zu parameters%s\n",
  m.cfg.H, m.cfg.L, m.n_params, o.init ? " (from --init)" : "");
printf("Training for %ld epochs, %s<EOS> on the targets\n", o.epochs,
  o.append_eos ? "" : "no ");

@ The printed loss is the notebook's: each pair's loss divided by its target
length, averaged over the pairs of the epoch. The epochs between two
printed lines are one call of |train_pairs|, on two threads unless the
machine has one core or \.{--threads 1} says otherwise; the numbers are the
same.
@<Train for |o.epochs| epochs, printing the loss@>=
int threads = o.threads ? (int) o.threads : sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1, used = 1;
float *loss = xcalloc((size_t) pl.n * (size_t) o.print_every, sizeof(float));
double t0 = now_seconds(), last_loss = 0.0;
for (long e = 1; e <= o.epochs;) {
  long chunk = o.print_every - (e - 1) % o.print_every;
  if (chunk > o.epochs - e + 1) chunk = o.epochs - e + 1;
  used = train_pairs(&m, ex, pl.n, chunk, o.lr, threads, loss);
  for (long j = 0; j < chunk; j++, e++) {
    double total = 0.0;
    for (int k = 0; k < pl.n; k++) total += loss[j * pl.n + k] / ex[k].tgt_len;
    last_loss = total / pl.n;
    loss_log_add(last_loss);
    if (e % o.print_every == 0 || e == o.epochs)
      printf("Epoch %ld/%ld, Average Loss: %.4f\n", e, o.epochs, last_loss);
  }
}
double seconds = now_seconds() - t0;
if (o.epochs > 0) printf("Final average loss: %.6e\n", last_loss);
printf("Trained in %.3f s (%ld steps, %.0f steps/s, %d thread%s)\n", seconds,
  o.epochs * pl.n, seconds > 0 ? (double) (o.epochs * pl.n) / seconds : 0.0, used,
  used > 1 ? "s" : "");
free(loss);

@ After training, the first |o.show| pairs are translated greedily and printed
next to the truth, as in the notebook, and every pair is counted.
@<Show translations of the training pairs next to the truth@>=
int right = 0, *out = xcalloc((size_t) m.cfg.L, sizeof(int));
for (int k = 0; k < pl.n; k++) {
  int n = greedy_decode(&m, ex[k].src, ex[k].src_len, out, NULL);
  char *pred = words_join(&m.vout, out, n);
  right += strcmp(pred, pl.pair[k].tgt) == 0;
  if (k < o.show)
    printf("EN: %-24s | FR (true): %-24s | FR (predicted): %s\n", pl.pair[k].src,
      pl.pair[k].tgt, pred);
  free(pred);
}
printf("%d of %d training pairs translated exactly\n", right, pl.n);
free(out);

@ |words_join| turns a list of word numbers into one string, the words
separated by single spaces; the caller frees it.
@<Command-line helpers@>=
static char *words_join(const Vocab *v, const int *ids, int n)
{
  size_t len = 1;
  for (int k = 0; k < n; k++) len += strlen(v->word[ids[k]]) + 1;
  char *s = xcalloc(len, 1), *p = s;
  for (int k = 0; k < n; k++) p += sprintf(p, k ? " %s" : "%s", v->word[ids[k]]);
  return s;
}

@ The options of Part II's kinds. |kind| is $-1$ until \.{--attention} sets
it, and the numeric defaults that depend on the kind are filled in later.
@<Part II's fields of the options of \.{train}@>=
int kind;
long heads, batch;
double dropout;
long min_count;
int shuffle, bucket;
const char *valid;
double valid_split;
const char *device; /* |NULL| for the CPU */

@ The options that only Part II's kinds use.
@<Part II's long options of \.{train}@>=
{"attention", required_argument, 0, 'A'}, {"heads", required_argument, 0, 'N'},
{"batch", required_argument, 0, 'B'}, {"dropout", required_argument, 0, 'D'},
{"min-count", required_argument, 0, 'M'}, {"no-shuffle", no_argument, 0, 'X'},
{"valid", required_argument, 0, 'V'}, {"valid-split", required_argument, 0, 'v'},
{"bucket", no_argument, 0, 'K'}, {"device", required_argument, 0, OPT_DEVICE},

@ Each is read and checked as the others are: a kind by its name, numbers strictly.
@<Part II's cases of the options of \.{train}@>=
case 'A':
  if ((o->kind = kind_from_name(optarg)) < 0) {
    fprintf(stderr, "attention train: --attention is seed, bahdanau, luong-dot, "
      "luong-general or multihead, not \"%s\"\n", optarg);
    bad = 1;
  }
  break;
case 'N': bad = parse_long("train", "--heads", optarg, 1, 65536, &o->heads) != 0; break;
case 'B': bad = parse_long("train", "--batch", optarg, 1, 100000, &o->batch) != 0; break;
case 'D':
  if (strcmp(optarg, "0") == 0) o->dropout = 0.0;
  else bad = parse_float("train", "--dropout", optarg, 0.0, 0.95, &o->dropout) != 0;
  break;
case 'M': bad = parse_long("train", "--min-count", optarg, 1, 1000000, &o->min_count) != 0;
  break;

@ The switches, the device and the validation data. A share of the pairs for
validation must lie strictly between 0 and 1.
@<Part II's cases of the options of \.{train}@>=
case 'X': o->shuffle = 0; break;
case 'K': o->bucket = 1; break;
case OPT_DEVICE: bad = device_bad("train", o->device = optarg); break;
case 'V': o->valid = optarg; break;
case 'v':
  if (parse_float("train", "--valid-split", optarg, 0.0, 1.0, &o->valid_split) == 0
    && o->valid_split >= 1.0)
    fprintf(stderr, "attention train: --valid-split wants a share above 0 and below 1, "
      "not \"%s\"\n", optarg);
  bad = !(o->valid_split > 0.0 && o->valid_split < 1.0);
  break;

@*1 Training a Part II model.
@^training, minibatch@>
|train_batched| is the \.{train} command for the content-based kinds. It
reads the pairs, holds out the validation share, builds the vocabularies from
the training pairs alone (or takes the checkpoint's), and runs the epochs: the
pairs in a new order each epoch (a seeded shuffle) or in the file's order,
$B$ at a time. After each epoch it prints the training loss (the mean over
all the epoch's target words) and the validation loss, and keeps the best
model so far by the validation loss.
@<The \.{train} command@>=
static int train_batched(TrainOptions *o, int kind)
{
  PairList pl = {0}, vl = {0};
  BModel bm;
  Example *ex = NULL, *vex = NULL;
  int status = 1, L = o->max_length ? (int) o->max_length : DEFAULT_MAX_LENGTH;
  if (o->epochs < 0) o->epochs = 10;
  if (o->print_every == 0) o->print_every = 1;
  if (o->lr == 0.0) o->lr = 0.001;
  @<Check the Part II options, or return 2@>@;
  @<Read the training and validation pairs, or return 1@>@;
  @<Make the batched model and the examples, or go to the end@>@;
  @<Report the data and the batched model@>@;
  @<Train the batched model for |o->epochs| epochs@>@;
  @<Show translations of the first training pairs@>@;
  if (loss_log_path && loss_log_save()) status = 1;
end:
  free(ex);
  free(vex);
  pairs_free(&pl);
  if (vl.pair || vl.origin) pairs_free(&vl);
  bmodel_free(&bm);
  return status;
}

@ Options that contradict each other, or a number of heads that does not divide $H$, are errors of the command line, found before any data is read.
@<Check the Part II options, or return 2@>=
long H = o->hidden ? o->hidden : DEFAULT_HIDDEN, heads = o->heads ? o->heads : 4;
cpu_set_threads(o->threads ? (int) o->threads : sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1);
if (kind == KIND_MULTIHEAD && !o->init && H % heads) {
  fprintf(stderr, "attention train: --heads %ld does not divide the hidden size %ld\n",
    heads, H);
  return 2;
}
if (o->valid && o->valid_split > 0.0) {
  fprintf(stderr, "attention train: give --valid FILE or --valid-split F, not both\n");
  return 2;
}
if (!o->data) {
  fprintf(stderr, "attention train: --attention %s trains on a corpus: give --data FILE\n",
    kind_names[kind]);
  return 2;
}
memset(&bm, 0, sizeof bm);
const Backend *be = backend_for("train", o->device);
if (!be) return 1;

@ A held-out share must be the same every time and must not split the
translations of one English sentence between training and validation
(Tatoeba has many sentences with several translations). So the decision is a
hash of the English sentence and the seed: the pairs whose hash falls below
the share are held out, all of a sentence's pairs together.
@<Read the training and validation pairs, or return 1@>=
if (pairs_read(&pl, o->data, o->filter, L)) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  return 1;
}
if (o->valid && pairs_read(&vl, o->valid, o->filter, L)) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  pairs_free(&pl);
  return 1;
}
if (o->valid_split > 0.0) pairs_hold_out(&pl, &vl, o->valid_split, (uint64_t) o->seed);
if (pl.n == 0) {
  fprintf(stderr, "attention train: %s: no training pairs left\n", o->data);
  pairs_free(&pl);
  if (vl.origin) pairs_free(&vl);
  return 1;
}

@ The model comes from \.{--init} (weights and vocabularies) or is new, with
the vocabularies of the training pairs.
@<Make the batched model and the examples, or go to the end@>=
if (o->init) {
  if (checkpoint_load_any(o->init, NULL, &bm, be, (int) o->batch) < 0) {
    fprintf(stderr, "attention train: %s\n", kit_error());
    goto end;
  }
} else {
  Vocab vin, vout;
  pairs_vocabularies_unk(&pl, (int) o->min_count, &vin, &vout);
  Config cfg = {vin.n, vout.n, (int) H, L};
  bmodel_alloc(&bm, be, kind, (int) heads, &cfg, &vin, &vout, (int) o->batch);
  bmodel_init_random(&bm, (uint64_t) o->seed);
}
if (o->init && o->heads && kind == KIND_MULTIHEAD && o->heads != bm.heads) {
  fprintf(stderr, "attention train: --heads %ld, but %s has %d heads\n", o->heads, o->init,
    bm.heads);
  status = 2;
  goto end;
}
@<Set the model's dropout and seed, and make the examples, or go to the end@>@;

@ Dropout draws its masks from the model's seed and the step's number; the
seed is \.{--seed}'s.
The pairs become examples with the model's vocabularies, \.{<UNK>} for a
word they do not have.
@<Set the model's dropout and seed, and make the examples...@>=
bm.dropout = (float) o->dropout;
bm.seed = (uint64_t) o->seed;
if (make_examples_unk(&pl, &bm.vin, &bm.vout, bm.cfg.L, &ex)
  || (vl.n && make_examples_unk(&vl, &bm.vin, &bm.vout, bm.cfg.L, &vex))) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  goto end;
}

@ The report says what training will see: the pairs kept and those held out for validation, the vocabularies with their special words, the model and the settings.
@<Report the data and the batched model@>=
printf("Read %ld sentence pairs from %s; kept %d (%s filter)", pl.lines_read, o->data,
  pl.n + vl.n * (o->valid_split > 0.0), o->filter == FILTER_TUTORIAL ? "tutorial" : "length");
if (vl.n) printf("; %d for validation%s", vl.n, o->valid ? " from --valid" : "");
printf("\nVocabulary: English %d words, French %d words (with <SOS>, <EOS>, <PAD>, <UNK>)\n",
  bm.vin.n, bm.vout.n);
printf("Model: hidden %d, max_length %d, attention %s", bm.cfg.H, bm.cfg.L, kind_names[kind]);
if (kind == KIND_MULTIHEAD) printf(" (%d heads)", bm.heads);
printf(", %zu parameters%s\n", bm.n_params, o->init ? " (from --init)" : "");
printf("Training for %ld epochs, batch %ld, lr %g, dropout %g, %s\n", o->epochs, o->batch,
  o->lr, o->dropout, o->shuffle ? "shuffled each epoch" : "in file order");

@ The held-out share. |hold_fraction| maps the English sentence and the seed
to a number in $[0,1)$ with the FNV-1a hash of the sentence, mixed with the
seed.
@<Command-line helpers@>=
static double hold_fraction(const char *s, uint64_t seed)
{
  uint64_t h = 1469598103934665603ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
  for (; *s; s++) h = (h ^ (unsigned char) *s) * 1099511628211ULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return (double) (h >> 11) / 9007199254740992.0;
}

static void pairs_hold_out(PairList *pl, PairList *vl, double share, uint64_t seed)
{
  *vl = (PairList) {0};
  vl->origin = xstrdup(pl->origin);
  int kept = 0;
  for (int k = 0; k < pl->n; k++) {
    Pair p = pl->pair[k];
    if (hold_fraction(p.src, seed) < share) @<Move pair |p| to the validation list@>@;
    else pl->pair[kept++] = p;
  }
  pl->n = kept;
}

@ The validation list grows as any pair list does, by doubling.
@<Move pair |p| to the validation list@>=
{
  if (vl->n == vl->cap) {
    vl->cap = vl->cap ? 2 * vl->cap : 64;
    vl->pair = xrealloc(vl->pair, (size_t) vl->cap * sizeof *vl->pair);
  }
  vl->pair[vl->n++] = p;
}

@ An epoch. The order is a Fisher--Yates shuffle drawn from the seed and the
epoch's number, so a run can be repeated exactly; with \.{--no-shuffle} batch
$k$ holds pairs $kB$ to $kB+B-1$. With \.{--epochs 0} the model saved is the
initial one, so that another trainer (\PB{PyTorch}, say) can start from the
very same weights.
@<Train the batched model for |o->epochs| epochs@>=
if (o->epochs == 0 && o->save && bcheckpoint_save(&bm, o->save)) {
  fprintf(stderr, "attention train: %s\n", kit_error());
  goto end;
}
int n = pl.n, *order = xcalloc((size_t) n, sizeof(int));
double best = INFINITY, t_all = now_seconds();
for (long e = 1; e <= o->epochs; e++) {
  for (int k = 0; k < n; k++) order[k] = k;
  if (o->shuffle) @<Shuffle |order| for epoch |e|@>@;
  if (o->bucket) bucket_batches(order, n, ex, (int) o->batch, o->shuffle ?
    mix_seed((uint64_t) o->seed, (uint64_t) e + 1000003) : 0);
  double t0 = now_seconds(), train_loss, valid_loss = NAN;
  long tokens = 0, positions = 0, words = 0;
  @<Run the batches of one epoch, with a progress line on a terminal@>@;
  train_loss = bmodel_take_loss(&bm) / (double) tokens;
  if (vl.n) valid_loss = batched_loss(&bm, vex, vl.n);
  loss_log_add(train_loss);
  @<Print the epoch's losses, and save the model if it is the best so far@>@;
}
printf("Trained in %.1f s\n", now_seconds() - t_all);
free(order);
status = 0;

@ Each epoch's generator starts from the seed and the epoch's number, so that a run, and any one epoch of it, can be repeated.
@<Shuffle |order| for epoch |e|@>=
{
  uint64_t z = mix_seed((uint64_t) o->seed, (uint64_t) e);
  unsigned short xs[3] = {(unsigned short) z, (unsigned short) (z >> 16),
    (unsigned short) (z >> 32)};
  for (int k = n - 1; k > 0; k--) {
    int j = (int) (erand48(xs) * (k + 1)), x = order[k];
    if (j > k) j = k;
    order[k] = order[j];
    order[j] = x;
  }
}

@ |mix_seed| mixes two numbers into 64 well-spread bits (the finaliser of SplitMix64), so that neighbouring seeds and epochs give unrelated shuffles.
@<Command-line helpers@>=
static uint64_t mix_seed(uint64_t a, uint64_t b)
{
  uint64_t z = a * 0x9e3779b97f4a7c15ULL + b;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

@ Sentences of different lengths in one batch cost padding: a batch runs
as many steps as its longest sentence. With \.{--bucket} the (shuffled)
order is cut into windows of 64 batches, each window is sorted by length,
and the batches that result are visited in a shuffled order: each batch holds
sentences of nearly one length, and the epoch still mixes them. On the
tutorial's pairs the padding falls from 28 to 4 per cent of the positions
(the epoch line prints it); in one run on the shared machine this was
written on, an epoch took 27 seconds instead of 35.
@^bucketing@>
@^padding@>
@<Command-line helpers@>=
static const Example *bucket_ex;
static int by_length(const void *x, const void *y)
{
  const Example *a = &bucket_ex[*(const int *) x], *b = &bucket_ex[*(const int *) y];
  int d = a->src_len - b->src_len;
  if (!d) d = a->tgt_len - b->tgt_len;
  return d ? d : *(const int *) x - *(const int *) y;
}

@ Bucketing sorts each run of $64B$ pairs by length, so that a batch holds sentences of similar lengths, and then, given a seed, shuffles the order of the batches.
@<Command-line helpers@>=
static void bucket_batches(int *order, int n, const Example *ex, int B, uint64_t seed)
{
  bucket_ex = ex;
  for (int k = 0; k < n; k += 64 * B) qsort(order + k, (size_t) (n - k < 64 * B ? n - k : 64 * B),
    sizeof(int), by_length);
  if (!seed) return;
  int nb = (n + B - 1) / B, *perm = xcalloc((size_t) nb, sizeof(int)), *copy = xcalloc((size_t) n, sizeof(int));
  unsigned short xs[3] = {(unsigned short) seed, (unsigned short) (seed >> 16), (unsigned short) (seed >> 32)};
  for (int k = 0; k < nb; k++) perm[k] = k;
  for (int k = nb - 1; k > 0; k--) {
    int j = (int) (erand48(xs) * (k + 1)), x = perm[k];
    if (j > k) j = k;
    perm[k] = perm[j], perm[j] = x;
  }
  @<Copy the batches of |order| in the order of |perm|@>@;
  free(perm), free(copy);
}

@ The last batch may be short; it moves with the others.
@<Copy the batches of |order| in the order of |perm|@>=
int at = 0;
for (int k = 0; k < nb; k++) {
  int from = perm[k] * B, len = n - from < B ? n - from : B;
  memcpy(copy + at, order + from, (size_t) len * sizeof(int));
  at += len;
}
memcpy(order, copy, (size_t) n * sizeof(int));

@ On a terminal, a line that rewrites itself twice a second says how far the
epoch is, how fast it goes and how long it has left; into a file or a pipe
only the epoch's summary is written.
@^progress line@>
@<Run the batches of one epoch, with a progress line on a terminal@>=
int tty = isatty(fileno(stdout));
double last = t0;
for (int k = 0; k < n; k += (int) o->batch) {
  int b = n - k < o->batch ? n - k : (int) o->batch;
  Batch bt;
  batch_upload(&bm, ex, order + k, b, &bt);
  backend_train_batch(&bm, &bt, o->lr);
  tokens += bt.tokens;
  positions += (long) b * (bt.S + bt.T);
  for (int j = 0; j < b; j++) words += ex[order[k + j]].src_len + ex[order[k + j]].tgt_len;
  double now = now_seconds();
  if (tty && now - last > 0.5) {
    double rate = (k + b) / (now - t0);
    printf("\r  epoch %ld: %d/%d pairs, %.0f pairs/s, %.0f tokens/s, %.0f s left   ", e,
      k + b, n, rate, tokens / (now - t0), (n - k - b) / rate);
    fflush(stdout);
    last = now;
  }
}
if (tty) printf("\r%78s\r", "");

@ With a validation set the model saved is the one with the lowest validation loss so far; without one, the last.
@<Print the epoch's losses, and save the model if it is the best so far@>=
double sec = now_seconds() - t0;
int print = e % o->print_every == 0 || e == o->epochs;
if (print) printf("Epoch %ld/%ld, train loss %.4f", e, o->epochs, train_loss);
if (print && vl.n) printf(", valid loss %.4f", valid_loss);
if (print) printf(", %.1f s (%.0f pairs/s, %.0f tokens/s, %.0f%% padding)", sec, n / sec,
  tokens / sec, 100.0 * (double) (positions - words) / (double) positions);
int better = vl.n ? valid_loss < best : e == o->epochs;
if (vl.n && valid_loss < best) best = valid_loss;
if (o->save && better) {
  if (bcheckpoint_save(&bm, o->save)) {
    fprintf(stderr, "%sattention train: %s\n", print ? "\n" : "", kit_error());
    goto end;
  }
  if (print && vl.n) printf(", saved");
}
if (print) printf("\n");
fflush(stdout);

@ The loss of a list of examples without dropout, the mean over their target
words: what the validation loss is.
@<Command-line helpers@>=
static double batched_loss(BModel *bm, const Example *ex, int n)
{
  long tokens = 0;
  bmodel_take_loss(bm);
  for (int k = 0; k < n; k += bm->B_cap) {
    Batch bt;
    batch_upload(bm, ex + k, NULL, n - k < bm->B_cap ? n - k : bm->B_cap, &bt);
    bmodel_forward(bm, &bt, 0.0f);
    tokens += bt.tokens;
  }
  return bmodel_take_loss(bm) / (double) (tokens ? tokens : 1);
}

@ As in Part I, the first pairs of the training data, translated.
@<Show translations of the first training pairs@>=
int show = o->show < pl.n ? (int) o->show : pl.n, L2 = bm.cfg.L;
int *outw = xcalloc((size_t) (show ? show : 1) * L2, sizeof(int));
int *outn = xcalloc((size_t) (show ? show : 1), sizeof(int));
bmodel_greedy(&bm, ex, show, outw, outn, NULL);
for (int k = 0; k < show; k++) {
  char *pred = words_join(&bm.vout, outw + (size_t) k * L2, outn[k]);
  printf("EN: %-24s | FR (true): %-24s | FR (predicted): %s\n", pl.pair[k].src,
    pl.pair[k].tgt, pred);
  free(pred);
}
free(outw);
free(outn);

@ \.{attention translate} reads sentences from its arguments, or, without
arguments, one per line from the standard input, and prints one translation
per line in the same order, so it can sit in a pipe. Each sentence is
normalised like the training data. A sentence that cannot be translated (an
unknown word, too many words, bad UTF-8) gets an error message on the
standard error stream and an empty line on the standard output, so the lines
still correspond; the others are translated, and the exit status is 1.
Its options are
\options{\.{--model CKPT}&the model (a safetensors checkpoint from \.{train --save})\cr
\.{--attention}&after each translation, a line per output word with its attention\cr
&weights on the source words and on the padding\cr
\.{--device cpu\orbar cuda}&where a Part~II model runs: the processor (the default) or the GPU\cr}
\noindent and the beam's options, which \.{eval} shares (|BEAM_USAGE|, in
the chapter on decoding's commands).
@<The \.{translate} command@>=
static const char *translate_usage =@/
  "usage: attention translate --model CKPT [--attention] [SENTENCE ...]\n"@/
  "  Translates each SENTENCE, or each line of standard input when there is none,\n"@/
  "  and prints one translation per line in the same order.\n"@/
  "  --model CKPT   the model (a safetensors checkpoint from train --save)\n"@/
  "  --attention    after each translation, a line per output word with its\n"@/
  "                 attention weights on the source words and on the padding\n"@/
  "  --device cpu|cuda  where a Part II model runs: the processor (the default)\n"@/
  "                 or the GPU\n"@/
  BEAM_USAGE;

@ A sentence of the notebook's kind is translated on its own. |translate_one|
prints its translation (with \.{--attention}, its weights too) and a newline,
or only the newline when it fails, and then returns $-1$ with the reason kept
for |kit_error|.
@<The \.{translate} command@>=
static int translate_one(Model *m, const char *s, size_t len, const char *where,
  int show_attention)
{
  size_t bad;
  char *norm = normalize_sentence(s, len, &bad);
  int *src = xcalloc((size_t) m->cfg.L, sizeof(int)), *out = xcalloc((size_t) m->cfg.L, sizeof(int));
  float *attn = xcalloc((size_t) m->cfg.L * (size_t) m->cfg.L, sizeof(float));
  int status = 0;
  if (!norm) status = kit_fail("%s: invalid UTF-8 at byte %zu", where, bad + 1);
  else if (*norm) @<Tokenise |norm|, translate it and print the translation@>@;
  else if (!blank(s, len)) status = kit_fail("%s: the sentence has no words", where);
  putchar('\n');
  free(norm);
  free(src);
  free(out);
  free(attn);
  return status;
}

@ A sentence that normalises to nothing (only digits, say) has no words to
translate and is an error; an empty line is not, and gets an empty line.
@<Command-line helpers@>=
static int blank(const char *s, size_t len)
{
  for (size_t k = 0; k < len; k++) if (s[k] != ' ' && s[k] != '\t') return 0;
  return 1;
}

@ The sentence is translated greedily, or with the beam when one of the beam's
options was given; either way the words come back joined by spaces.
@<Tokenise |norm|, translate it and print the translation@>=
{
  int n = tokenize(&m->vin, norm, src, m->cfg.L, where, "English");
  if (n < 0) status = -1;
  else if (n == 0) status = kit_fail("%s: the sentence has no words", where);
  else {
    int k;
    char *t = translate_beam.used ? translate_with_beam(m, src, n, norm, out, &k, attn)
      : (k = greedy_decode(m, src, n, out, attn), words_join(&m->vout, out, k));
    fputs(t, stdout);
    free(t);
    if (show_attention) @<Print the attention of each output word@>@;
  }
}

@ With \.{--attention}, each output word gets a line with its weight on each
source word and the total weight on the padding slots beyond the sentence.
@<Print the attention of each output word@>=
for (int t = 0; t < k; t++) {
  double pad = 0.0;
  printf("\n  %-12s", m->vout.word[out[t]]);
  for (int i = 0; i < n; i++) printf(" %s %.3f", m->vin.word[src[i]], attn[t * m->cfg.L + i]);
  for (int i = n; i < m->cfg.L; i++) pad += attn[t * m->cfg.L + i];
  printf("  (padding %.3f)", pad);
}

@ The command reads its options, loads the model, and hands a Part~II model
to |translate_batched|; the notebook's kind translates one sentence at a time,
here.
@<The \.{translate} command@>=
static int cmd_translate(int argc, char **argv)
{
  static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
    {"attention", no_argument, 0, 'a'}, {"help", no_argument, 0, 'h'},
    {"device", required_argument, 0, OPT_DEVICE}, BEAM_OPTIONS, {0, 0, 0, 0}};
  const char *model = NULL, *device = NULL;
  int c, show_attention = 0, r;
  @<Read the options of \.{translate}, or return 2@>@;
  if (!model) {
    fprintf(stderr, "attention translate: --model CKPT is required\n");
    fputs(translate_usage, stderr);
    return 2;
  }
  @<Load the model of \.{translate}, and translate with it if it is of Part~II, or return@>@;
  if (beam_check("translate", &translate_beam, m.cfg.L, &m.vout)) {
    model_free(&m);
    return 2;
  }
  int failed = 0;
  char where[64];
  @<Translate the arguments, or the lines of the standard input@>@;
  model_free(&m);
  return failed ? 1 : 0;
}

@ Any of the beam's options makes \.{translate} use the beam. A wrong option
or a bad value is an error of the command line, status 2, with the usage.
@<Read the options of \.{translate}, or return 2@>=
opterr = 0;
optind = 1;
beam_defaults(&translate_beam);
while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
  if (c == 'm') model = optarg;
  else if (c == 'a') show_attention = 1;
  else if (c == OPT_DEVICE) {
    if (device_bad("translate", device = optarg)) return 2;
  }
  else if ((r = beam_option("translate", c, optarg, &translate_beam)) != 0) {
    if (r < 0) return 2;
  }
  else if (c == 'h') {
    fputs(translate_usage, stdout);
    return 0;
  } else {
    fprintf(stderr, "attention translate: %s \"%s\"\n", c == ':' ? "missing value for" :
      "unknown option", argv[optind - 1]);
    fputs(translate_usage, stderr);
    return 2;
  }
}

@ The backend is opened first, so that \.{--device cuda} on a machine
without a GPU fails before the model is read. The notebook's seed model runs
on the CPU only. A Part~II model is checked against the beam's options and
translated here, and the command returns; the notebook's kind is left in |m|.
@<Load the model of \.{translate}, and translate with it if it is of Part~II...@>=
Model m;
BModel bm;
const Backend *be = backend_for("translate", device);
if (!be) return 1;
int kind = checkpoint_load_any(model, &m, &bm, be, 64);
if (kind < 0) {
  fprintf(stderr, "attention translate: %s\n", kit_error());
  return 1;
}
if (kind == KIND_SEED && be != &cpu_backend) {
  fprintf(stderr, "attention translate: %s holds the notebook's seed model, which "
    "runs on the CPU only; drop --device cuda\n", model);
  model_free(&m);
  return 2;
}
if (kind != KIND_SEED) {
  int status = beam_check("translate", &translate_beam, bm.cfg.L, &bm.vout) ? 2 :
    translate_batched(&bm, argc - optind, argv + optind, show_attention);
  bmodel_free(&bm);
  return status;
}

@ Each sentence is named in its messages by its place: \.{sentence 2} for an
argument, \.{line 7} for a line of the standard input.
@<Translate the arguments, or the lines of the standard input@>=
if (optind < argc)
  for (int k = optind; k < argc; k++) {
    snprintf(where, sizeof where, "sentence %d", k - optind + 1);
    if (translate_one(&m, argv[k], strlen(argv[k]), where, show_attention)) {
      fprintf(stderr, "attention translate: %s\n", kit_error());
      failed = 1;
    }
  }
else @<Translate the lines of the standard input@>@;

@ A line loses its line end, \.{\\r} included, before it is translated.
The output is flushed after every line, so that \.{translate} can answer
line by line in a pipe; a write that fails ends the loop.
@<Translate the lines of the standard input@>=
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  for (long k = 1; (len = getline(&line, &cap, stdin)) >= 0; k++) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    snprintf(where, sizeof where, "line %ld", k);
    if (translate_one(&m, line, (size_t) len, where, show_attention)) {
      fprintf(stderr, "attention translate: %s\n", kit_error());
      failed = 1;
    }
    if (fflush(stdout) != 0) break; /* |check_stdout| says why */
  }
  @<Fail when the standard input could not be read@>@;
  free(line);
}

@ The beam's options (their sections are in the chapter on decoding's
commands) are helpers, since \.{translate} uses them too, for both parts.
@<Command-line helpers@>=
@<The beam options of \.{translate} and \.{eval}@>@;

@ Each unknown word is reported once, the first time it is seen, and kept in
|seen| (with no command name, only kept).
@<Command-line helpers@>=
static void warn_unknown(const char *cmd, const Vocab *v, Vocab *seen, const char *s,
  const char *where)
{
  char w[MAX_WORD_BYTES];
  while (*s) {
    size_t k = strcspn(s, " ");
    memcpy(w, s, k);
    w[k] = '\0';
    s += k + (s[k] == ' ');
    if (k && vocab_find(v, w) < 0 && vocab_find(seen, w) < 0) {
      vocab_add(seen, w);
      if (cmd) fprintf(stderr, "attention %s: %s: warning: \"%s\" is not in the model's "
        "English vocabulary; it is read as <UNK>\n", cmd, where, w);
    }
  }
}

@ A Part II model translates in batches: the sentences (the arguments, or
all the lines of the standard input) are normalised and numbered first, with
\.{<UNK>} for an unknown word and one warning per such word; a sentence that
cannot be read gets its error and an empty line, as in Part I; then the
others are decoded together, |B_cap| at a time, and printed in order.
@<Command-line helpers@>=
static int translate_batched(BModel *bm, int nargs, char **args, int show_attention)
{
  int n = 0, cap = 16, failed = 0, L = bm->cfg.L;
  char **norm = xcalloc((size_t) cap, sizeof(char *)), *bad = xcalloc((size_t) cap, 1);
  Example *ex = xcalloc((size_t) cap, sizeof(Example));
  Vocab unknown;
  vocab_init(&unknown);
  @<Read, normalise and number every sentence, reporting those that fail@>@;
  int *out = xcalloc((size_t) (n ? n : 1) * L, sizeof(int)), *len = xcalloc((size_t) (n ? n : 1), sizeof(int));
  float *attn = show_attention ? xcalloc((size_t) (n ? n : 1) * L * L, sizeof(float)) : NULL;
  char **text = NULL;
  if (translate_beam.used) @<Translate the sentences with the beam, keeping each one's lines@>@;
  else bmodel_greedy(bm, ex, n, out, len, attn);
  @<Print the translations in order, an empty line for each failed sentence@>@;
  for (int k = 0; k < n; k++) free(norm[k]), free(text ? text[k] : NULL);
  free(text);
  free(norm), free(bad), free(ex), free(out), free(len), free(attn);
  vocab_free(&unknown);
  return failed ? 1 : 0;
}

@ A sentence that fails keeps its place; it is decoded with the others (as a
lone \EOS) and its output is not printed.
@<Read, normalise and number every sentence, reporting those that fail@>=
char *line = NULL;
size_t lcap = 0;
for (long k = 0;; k++) {
  ssize_t got;
  const char *s;
  if (nargs > 0) {
    if (k == nargs) break;
    s = args[k], got = (ssize_t) strlen(args[k]);
  } else {
    if ((got = getline(&line, &lcap, stdin)) < 0) break;
    while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) got--;
    s = line;
  }
  if (n == cap) {
    cap *= 2;
    norm = xrealloc(norm, (size_t) cap * sizeof(char *));
    bad = xrealloc(bad, (size_t) cap);
    ex = xrealloc(ex, (size_t) cap * sizeof(Example));
  }
  @<Normalise and number sentence |s| into |ex[n]|, or report it@>@;
  n++;
}
free(line);
if (nargs == 0) @<Fail when the standard input could not be read@>@;

@ Each sentence is normalised and numbered as in Part I, except that an unknown word becomes \.{<UNK>}, with a warning, rather than an error.
@<Normalise and number sentence |s| into |ex[n]|, or report it@>=
size_t badbyte;
char where[64];
snprintf(where, sizeof where, nargs > 0 ? "sentence %ld" : "line %ld", k + 1);
memset(&ex[n], 0, sizeof ex[n]);
norm[n] = normalize_sentence(s, (size_t) got, &badbyte);
int before = 0, m = -1;
if (!norm[n]) fprintf(stderr, "attention translate: %s: invalid UTF-8 at byte %zu\n", where,
  badbyte + 1), failed = 1;
else if (*norm[n] && (m = tokenize_unk(&bm->vin, norm[n], ex[n].src, L - 1, &before)) < 0)
  fprintf(stderr, "attention translate: %s: the sentence has more than %d words, the most "
    "this model reads\n", where, L - 1), failed = 1;
else if ((*norm[n] && m == 0) || (!*norm[n] && !blank(s, (size_t) got)))
  fprintf(stderr, "attention translate: %s: the sentence has no words\n", where), failed = 1;
if (m > 0) {
  if (before) warn_unknown("translate", &bm->vin, &unknown, norm[n], where);
  ex[n].src[m] = EOS_TOKEN;
  ex[n].src_len = m + 1;
  bad[n] = 0;
} else ex[n].src[0] = EOS_TOKEN, ex[n].src_len = 1, bad[n] = 1;

@ With a beam, all the sentences are one search over the batched model's
decoder; each sentence's lines (its best translation, or its \.{--n-best}
lines with their scores) are made as for the notebook's kind, and its best
translation's words and attention go where greedy decoding puts them.
@<Translate the sentences with the beam, keeping each one's lines@>=
{
  BeamOptions *o = &translate_beam.o;
  Decoder *d = bmodel_decoder(bm);
  const int **sp = xcalloc((size_t) (n ? n : 1), sizeof *sp);
  int *sl = xcalloc((size_t) (n ? n : 1), sizeof(int)), *found = xcalloc((size_t) (n ? n : 1),
    sizeof(int));
  for (int k = 0; k < n; k++) sp[k] = ex[k].src, sl[k] = ex[k].src_len;
  float *init = xcalloc((size_t) (n ? n : 1) * d->state_floats, sizeof(float));
  Hypothesis *y = xcalloc((size_t) (n ? n : 1) * o->n_best, sizeof *y);
  d->encode(d, sp, sl, n, init);
  beam_search(d, n, init, o, y, found);
  text = xcalloc((size_t) (n ? n : 1), sizeof *text);
  for (int k = 0; k < n; k++) @<Make sentence |k|'s lines from its hypotheses, and free them@>@;
  free(y), free(init), free(found), free(sl), free(sp);
  d->release(d);
}

@ The best hypothesis of each sentence is its translation; with \.{--n-best} the others follow it.
@<Make sentence |k|'s lines from its hypotheses...@>=
{
  Hypothesis *h = y + (size_t) k * o->n_best;
  len[k] = h[0].len;
  memcpy(out + (size_t) k * L, h[0].word, (size_t) h[0].len * sizeof(int));
  if (attn) memcpy(attn + (size_t) k * L * L, h[0].attn, (size_t) h[0].len * L * sizeof(float));
  char *copy = xstrdup(norm[k] ? norm[k] : ""), *words[DEFAULT_MAX_LENGTH * 4];
  int nw = 0;
  for (char *p = strtok(copy, " "); p && nw < DEFAULT_MAX_LENGTH * 4; p = strtok(NULL, " "))
    words[nw++] = p;
  size_t cap = 1, used = 0;
  char **lines = xcalloc((size_t) found[k] + 1, sizeof *lines);
  for (int i = 0; i < found[k]; i++) {
    lines[i] = hypothesis_words(d, &bm->vout, &h[i], words, nw, translate_beam.replace_unk);
    cap += strlen(lines[i]) + 32;
  }
  @<Join sentence |k|'s lines into |text[k]|, each with its score for \.{--n-best}@>@;
  free(lines), free(copy);
  hypotheses_free(h, found[k]);
}

@ The lines are joined by newlines, with no newline after the last: the
printing adds it, as it does for a greedy translation. |cap| has room for
each line and its score.
@<Join sentence |k|'s lines into |text[k]|...@>=
text[k] = xcalloc(cap, 1);
for (int i = 0; i < found[k]; i++) {
  if (o->n_best > 1)
    used += (size_t) snprintf(text[k] + used, cap - used, "%s%.6f\t", i ? "\n" : "", h[i].score);
  used += (size_t) snprintf(text[k] + used, cap - used, "%s", lines[i]);
  free(lines[i]);
}

@ A failed sentence was marked in |bad| (and decoded as a lone \EOS).
@<Print the translations in order, an empty line for each failed sentence@>=
for (int k = 0; k < n; k++) {
  if (!bad[k]) {
    char *t = text ? xstrdup(text[k]) : words_join(&bm->vout, out + (size_t) k * L, len[k]);
    fputs(t, stdout);
    free(t);
    if (attn) for (int t2 = 0; t2 < len[k]; t2++) {
      printf("\n  %-12s", bm->vout.word[out[(size_t) k * L + t2]]);
      for (int i = 0; i < ex[k].src_len; i++)
        printf(" %s %.3f", bm->vin.word[ex[k].src[i]], attn[((size_t) k * L + t2) * L + i]);
    }
  }
  putchar('\n');
}

@ The standard input may be a folder, or closed; |getline| then fails at once,
as it does at the end of a file. The stream's error flag tells the two apart:
a read that failed is an error, not an empty input.
@<Fail when the standard input could not be read@>=
if (ferror(stdin)) {
  fprintf(stderr, "attention translate: cannot read the standard input: %s\n",
    strerror(errno));
  failed = 1;
}

@ \.{attention pairs} prints the pairs that \.{train --data} would train on,
normalised, one per line with a tab between English and French, and a count
on the standard error stream. It is how one checks what the filter keeps
before spending time on training, and how the tests compare the normaliser
with the tutorial's \PB{Python}. Its options are \.{train}'s:
\options{\.{--data FILE}&the pair file (required)\cr
\.{--filter tutorial\orbar length}&the filter (default: \.{tutorial})\cr
\.{--max-length L}&the filter's longest sentence (default 10)\cr}
@<The \.{pairs} command@>=
static const char *pairs_usage =@/
  "usage: attention pairs --data FILE [--filter tutorial|length] [--max-length L]\n"@/
  "  Prints the normalised pairs that 'train --data FILE' would keep, tab-separated.\n";

static int cmd_pairs(int argc, char **argv)
{
  const char *data = NULL;
  int filter = FILTER_TUTORIAL;
  long max_length = DEFAULT_MAX_LENGTH;
  @<Read the options of \.{pairs}, or return@>@;
  if (!data || optind < argc) {
    fputs(pairs_usage, stderr);
    return 2;
  }
  PairList pl;
  if (pairs_read(&pl, data, filter, (int) max_length)) {
    fprintf(stderr, "attention pairs: %s\n", kit_error());
    return 1;
  }
  for (int k = 0; k < pl.n; k++) printf("%s\t%s\n", pl.pair[k].src, pl.pair[k].tgt);
  fprintf(stderr, "%ld pairs read, %d kept, %ld dropped by the filter\n", pl.lines_read,
    pl.n, pl.dropped);
  pairs_free(&pl);
  return 0;
}

@ A filter other than the two, a bad number or an unknown option is an
error of the command line, status 2, with the usage. |cmd_pairs| then
checks that \.{--data} was given and that no word follows the options.
@<Read the options of \.{pairs}, or return@>=
static const struct option longopts[] = {{"data", required_argument, 0, 'd'},
  {"filter", required_argument, 0, 'f'}, {"max-length", required_argument, 0, 'L'},
  {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
int c;
opterr = 0;
optind = 1;
while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
  if (c == 'd') data = optarg;
  else if (c == 'f' && (strcmp(optarg, "tutorial") == 0 || strcmp(optarg, "length") == 0))
    filter = strcmp(optarg, "tutorial") == 0 ? FILTER_TUTORIAL : FILTER_LENGTH;
  else if (c == 'L') {
    if (parse_long("pairs", "--max-length", optarg, 1, DEFAULT_MAX_LENGTH * 4, &max_length))
      return 2;
  } else if (c == 'h') {
    fputs(pairs_usage, stdout);
    return 0;
  } else {
    fprintf(stderr, "attention pairs: bad option \"%s\"\n", argv[optind - 1]);
    fputs(pairs_usage, stderr);
    return 2;
  }
}

@*1 The commands that decode and score.
Three commands and a few options of \.{translate} give the chapter on
decoding its command line: \.{bleu} scores translations against references,
\.{split} makes a held-out test set, and \.{eval} translates a test set and
scores it.
@<Entries of the command table@>=
{"bleu", "score translations against references (corpus BLEU-4, sacreBLEU's form)", cmd_bleu},
{"split", "split a pair file into train, valid and test files by English sentence", cmd_split},
{"eval", "translate a pair file and report BLEU, exact matches and speed", cmd_eval},

@ The three commands of decoding and scoring: \.{bleu}, \.{split} and \.{eval}.
@<The commands@>=
@<The \.{bleu} command@>@;
@<The \.{split} command@>@;
@<The \.{eval} command@>@;

@ The beam's options are the same for \.{translate} and \.{eval}. Without
any of them \.{translate} decodes greedily; with any of them it searches
with a beam of \.{--beam} $K$ (default 1, which gives greedy's words). The
length penalty of the chapter on decoding is Wu's, with $\alpha=0.6$, the
middle of the range Wu et al.\ found best; \.{--max-length} is at most the
model's $L$, its default. |BEAM_USAGE| is their part of the two commands'
usage texts:
\options{\.{--beam K}&beam search with $K$ hypotheses (1 gives greedy's words)\cr
\.{--length-penalty P}&\.{none}, \.{avg} (divide by the length) or \.{wu} (the default)\cr
\.{--alpha A}&Wu's $\alpha$ (default 0.6)\cr
\.{--max-length N}&the longest translation (default and most: the model's)\cr
\.{--n-best N}&\.{translate}: $N$ lines a sentence, \.{SCORE<TAB>WORDS}, best first\cr
\.{--replace-unk}&replace each \.{<UNK>} by the source word attended to most\cr}
@<The beam options...@>=
#define BEAM_OPTIONS \
  {"beam", required_argument, 0, 'k'}, {"length-penalty", required_argument, 0, 'P'}, \
  {"alpha", required_argument, 0, 'A'}, {"max-length", required_argument, 0, 'M'}, \
  {"n-best", required_argument, 0, 'N'}, {"replace-unk", no_argument, 0, 'U'}
#define BEAM_USAGE @/\
  "  --beam K            beam search with K hypotheses (1 gives greedy's words)\n"@/ \
  "  --length-penalty P  none, avg (divide by the length) or wu (the default)\n"@/ \
  "  --alpha A           Wu's alpha (default 0.6)\n"@/ \
  "  --max-length N      the longest translation (default and most: the model's)\n"@/ \
  "  --n-best N          translate: N lines a sentence, SCORE<TAB>WORDS, best first\n"@/ \
  "  --replace-unk       replace each <UNK> by the source word attended to most\n"
typedef struct {
  BeamOptions o;
  int used, replace_unk;
} BeamChoice;

@ |beam_option| takes one of these options; it returns 1 when the option was
one of them and good, $-1$ when its value was bad (with a message), and 0
when it was another option.
@<The beam options...@>=
static int beam_option(const char *cmd, int c, const char *arg, BeamChoice *b)
{
  long v;
  double x;
  if (c <= 0 || c > 127 || !strchr("kPAMNU", c)) return 0;
  b->used = 1;
  switch (c) {
  case 'k': if (parse_long(cmd, "--beam", arg, 1, 1000, &v)) return -1; b->o.beam = (int) v; break;
  case 'M': if (parse_long(cmd, "--max-length", arg, 1, 1000, &v)) return -1;
    b->o.max_length = (int) v; break;
  case 'N': if (parse_long(cmd, "--n-best", arg, 1, 1000, &v)) return -1; b->o.n_best = (int) v;
    break;
  case 'A': if (parse_float(cmd, "--alpha", arg, -1e-300, 10.0, &x)) return -1; b->o.alpha = x;
    break;
  case 'U': b->replace_unk = 1; break;
  case 'P': @<Read the length penalty's name, or return $-1$@>@; break;
  }
  return 1;
}

@ A penalty is named on the command line; an unknown name is an error that lists the three.
@<Read the length penalty's name...@>=
if (strcmp(arg, "none") == 0) b->o.penalty = LP_NONE;
else if (strcmp(arg, "avg") == 0) b->o.penalty = LP_AVG;
else if (strcmp(arg, "wu") == 0) b->o.penalty = LP_WU;
else {
  fprintf(stderr, "attention %s: --length-penalty is none, avg or wu, not \"%s\"\n", cmd, arg);
  return -1;
}

@ Once the model is known, the choices are completed and checked against it.
@<The beam options...@>=
static void beam_defaults(BeamChoice *b)
{
  *b = (BeamChoice) {{1, 0, 1, LP_WU, 0.6}, 0, 0};
}

static int beam_check(const char *cmd, BeamChoice *b, int L, const Vocab *vout)
{
  if (b->o.max_length == 0) b->o.max_length = L;
  if (b->o.max_length > L) {
    fprintf(stderr, "attention %s: --max-length %d is more than the model's %d\n", cmd,
      b->o.max_length, L);
    return -1;
  }
  if (b->o.n_best > b->o.beam) {
    fprintf(stderr, "attention %s: --n-best %d is more than the beam's %d\n", cmd,
      b->o.n_best, b->o.beam);
    return -1;
  }
  if (b->replace_unk && vocab_find(vout, "<UNK>") < 0)
    fprintf(stderr, "attention %s: warning: the model's vocabulary has no <UNK>; "
      "--replace-unk changes nothing\n", cmd);
  return 0;
}

@ The best translation of one sentence by a beam, for \.{heatmap}: its words
into |out|, its attention rows ($S$ weights each) into |attn|, its length
returned. The decoder is released here.
@<The beam options...@>=
static int beam_best(Decoder *d, const int *src, int n, const BeamOptions *o, int *out,
  float *attn)
{
  float *init = xcalloc((size_t) d->state_floats, sizeof(float));
  Hypothesis *y = xcalloc((size_t) o->n_best, sizeof *y);
  int found = 0;
  d->encode(d, &src, &n, 1, init);
  beam_search(d, 1, init, o, y, &found);
  int k = y[0].len;
  memcpy(out, y[0].word, (size_t) k * sizeof(int));
  memcpy(attn, y[0].attn, (size_t) k * (size_t) d->S * sizeof(float));
  hypotheses_free(y, found);
  free(y), free(init);
  d->release(d);
  return k;
}

@ \.{translate} with a beam: the best translation's words and attention go
where greedy decoding puts them, so that \.{--attention} prints them as
before; with \.{--n-best}, each of the |n_best| translations is a line
\.{SCORE<TAB>WORDS}, best first.
@<The beam options...@>=
static BeamChoice translate_beam;

static char *translate_with_beam(Model *m, const int *src, int n, const char *norm,
  int *out, int *k, float *attn)
{
  Decoder *d = model_decoder(m);
  float *init = xcalloc((size_t) d->state_floats, sizeof(float));
  d->encode(d, &src, &n, 1, init);
  BeamOptions *o = &translate_beam.o;
  Hypothesis *y = xcalloc((size_t) o->n_best, sizeof *y);
  int found = 0;
  beam_search(d, 1, init, o, y, &found);
  @<Copy the best translation to |out| and |attn|, and write the lines@>@;
  hypotheses_free(y, found);
  free(y);
  free(init);
  d->release(d);
  return text;
}

@ The source words are needed for \.{--replace-unk}: |norm| is split at its
spaces, in place of a copy.
@<Copy the best translation to |out| and |attn|...@>=
char *copy = xstrdup(norm), *words[DEFAULT_MAX_LENGTH * 4];
int nw = 0;
for (char *p = strtok(copy, " "); p && nw < DEFAULT_MAX_LENGTH * 4; p = strtok(NULL, " "))
  words[nw++] = p;
*k = y[0].len;
memcpy(out, y[0].word, (size_t) y[0].len * sizeof(int));
memcpy(attn, y[0].attn, (size_t) y[0].len * (size_t) m->cfg.L * sizeof(float));
size_t cap = 1, used = 0;
char **lines = xcalloc((size_t) found, sizeof *lines);
for (int i = 0; i < found; i++) {
  lines[i] = hypothesis_words(d, &m->vout, &y[i], words, nw, translate_beam.replace_unk);
  cap += strlen(lines[i]) + 32;
}
char *text = xcalloc(cap, 1);
for (int i = 0; i < found; i++) {
  if (o->n_best > 1)
    used += (size_t) snprintf(text + used, cap - used, "%s%.6f\t", i ? "\n" : "", y[i].score);
  used += (size_t) snprintf(text + used, cap - used, "%s", lines[i]);
  free(lines[i]);
}
free(lines);
free(copy);

@ \.{attention bleu} scores a file of translations, one a line, against one
or more files of references, line by line, as \.{sacreBLEU} does; all lines
are normalised as the training data are. An empty reference line means
``no reference here'', so sources with different numbers of references fit
in parallel files. \.{--precise} adds the numbers in full, for the tests.
\options{\.{--hyp FILE}&the translations, one a line (default: the standard input)\cr
\.{--precise}&a second line with every number to 17 digits\cr
\.{REFERENCES}&one or more files of references, a line for each translation\cr}
@<The \.{bleu} command@>=
static const char *bleu_usage =@/
  "usage: attention bleu [--hyp FILE] [--precise] REFERENCES [REFERENCES ...]\n"@/
  "  Corpus BLEU-4 of the translations in FILE (default: standard input), one a line,\n"@/
  "  against the reference files, line by line (an empty reference line is none).\n";

@ |read_lines| reads a file's lines, normalised, into a growing array (64
lines first, then twice as many each time it is full). A line that is not
UTF-8 is an error that names the file and the line.
@<The \.{bleu} command@>=
static int read_lines(const char *path, FILE *f, char ***lines, int *n)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int k = 0, room = 0;
  *lines = NULL;
  while ((len = getline(&line, &cap, f)) >= 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    size_t bad;
    char *norm = normalize_sentence(line, (size_t) len, &bad);
    if (!norm) {
      free(line);
      return kit_fail("%s:%d: invalid UTF-8 at byte %zu", path, k + 1, bad + 1);
    }
    if (k == room) *lines = xrealloc(*lines, (size_t) (room = room ? 2 * room : 64) * sizeof **lines);
    (*lines)[k++] = norm;
  }
  free(line);
  *n = k;
  return ferror(f) ? kit_fail("%s: read error", path) : 0;
}

@ The sentences become numbers in a vocabulary of their own words, so that $n$-grams are compared as numbers; each translation is scored against every reference of its line.
@<The \.{bleu} command@>=
static int bleu_of_lines(char **h, int nh, char ***ref, int n_refs, int precise)
{
  Vocab v;
  vocab_init(&v);
  BleuStats b = {0};
  int **ids = xcalloc((size_t) n_refs, sizeof *ids), *len = xcalloc((size_t) n_refs, sizeof(int));
  int status = 0;
  for (int k = 0; k < nh && status == 0; k++) {
    int *hi, hl = words_intern(&v, h[k], &hi), m = 0;
    for (int r = 0; r < n_refs; r++)
      if (*ref[r][k]) len[m] = words_intern(&v, ref[r][k], &ids[m]), m++;
    if (m == 0) status = kit_fail("line %d has no reference", k + 1);
    else bleu_add(&b, hi, hl, (const int *const *) ids, len, m);
    for (int r = 0; r < m; r++) free(ids[r]);
    free(hi);
  }
  if (status == 0) @<Print the score of |b|, in full with |precise|@>@;
  free(ids);
  free(len);
  vocab_free(&v);
  return status;
}

@ The score line gives BLEU, the four precisions and the brevity penalty; \.{--precise} adds every number to 17 digits, so that a test can compare them exactly.
@<Print the score of |b|...@>=
{
  char line[256];
  bleu_format(&b, line, sizeof line);
  puts(line);
  BleuScore s = bleu_score(&b);
  if (precise) printf("bleu %.17g bp %.17g p %.17g %.17g %.17g %.17g\n", s.bleu, s.bp,
    s.p[0], s.p[1], s.p[2], s.p[3]);
}

@ The translations come from \.{--hyp} or the standard input, the references from the files named after the options.
@<The \.{bleu} command@>=
static int cmd_bleu(int argc, char **argv)
{
  static const struct option longopts[] = {{"hyp", required_argument, 0, 'y'},
    {"precise", no_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *hyp = NULL;
  int c, precise = 0;
  @<Read the options of \.{bleu}, or return@>@;
  if (optind >= argc) {
    fprintf(stderr, "attention bleu: no reference file\n");
    fputs(bleu_usage, stderr);
    return 2;
  }
  int n_refs = argc - optind, status = 0;
  @<Read the translations and the references, score them, or return 1@>@;
  return status;
}

@ A wrong option is an error of the command line, with the usage and status 2.
@<Read the options of \.{bleu}, or return@>=
opterr = 0;
optind = 1;
while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
  if (c == 'y') hyp = optarg;
  else if (c == 'p') precise = 1;
  else if (c == 'h') { fputs(bleu_usage, stdout); return 0; }
  else {
    fprintf(stderr, "attention bleu: %s \"%s\"\n", c == ':' ? "missing value for" :
      "unknown option", argv[optind - 1]);
    fputs(bleu_usage, stderr);
    return 2;
  }
}

@ Every reference file must have as many lines as the translations: a missing line would pair every later translation with the wrong reference.
@<Read the translations and the references, score them...@>=
char ***ref = xcalloc((size_t) n_refs, sizeof *ref), **h = NULL;
int *nr = xcalloc((size_t) n_refs, sizeof(int)), nh = 0;
FILE *f = hyp ? fopen(hyp, "rb") : stdin;
if (!f) status = kit_fail("%s: cannot open: %s", hyp, strerror(errno));
else {
  status = read_lines(hyp ? hyp : "standard input", f, &h, &nh);
  if (hyp) fclose(f);
}
for (int r = 0; r < n_refs && status == 0; r++) {
  FILE *g = fopen(argv[optind + r], "rb");
  if (!g) status = kit_fail("%s: cannot open: %s", argv[optind + r], strerror(errno));
  else {
    status = read_lines(argv[optind + r], g, &ref[r], &nr[r]);
    fclose(g);
    if (status == 0 && nr[r] != nh)
      status = kit_fail("%s has %d lines, the translations %d", argv[optind + r], nr[r], nh);
  }
}
if (status == 0) status = bleu_of_lines(h, nh, ref, n_refs, precise);
if (status) fprintf(stderr, "attention bleu: %s\n", kit_error());
@<Free the translations and the references@>@;
status = status ? 1 : 0;

@ The lines are freed one by one, then their arrays; |nr[r]| is still 0 for
a reference file that was not read.
@<Free the translations and the references@>=
for (int k = 0; k < nh; k++) free(h[k]);
free(h);
for (int r = 0; r < n_refs; r++) {
  for (int k = 0; k < nr[r]; k++) free(ref[r][k]);
  free(ref[r]);
}
free(ref);
free(nr);

@ \.{attention split} makes a held-out test set that can be trusted: the
pairs that share an English sentence (Tatoeba has many, with different
French) all go to the same file, so no English sentence of the test set was
seen in training. The sentences are shuffled with a seeded generator (the
|erand48| of the initialisation), the first \.{--test} share of them goes
to \.{test.txt}, the next \.{--valid} share to \.{valid.txt} and the rest to
\.{train.txt} in the folder \.{--out-dir} (made if it is not there); each file keeps the order of the
input file and holds normalised pairs, which read back unchanged. The same
command gives the same files.
@^held-out split@>
\options{\.{--data FILE}&the pair file (required)\cr
\.{--out-dir DIR}&the folder of the three files (required)\cr
\.{--test F}, \.{--valid F}&the shares of the English sentences (default 0.1 each)\cr
\.{--seed S}&the seed of the shuffle (default 1)\cr
\.{--filter tutorial\orbar length}&the filter, as \.{train}'s (default: \.{tutorial})\cr}
@<The \.{split} command@>=
static const char *split_usage =@/
  "usage: attention split --data FILE --out-dir DIR [--test F] [--valid F] [--seed S]\n"@/
  "       [--filter tutorial|length]\n"@/
  "  Writes DIR/train.txt, DIR/valid.txt and DIR/test.txt: the pairs of FILE that the\n"@/
  "  filter keeps (default: tutorial, as train), split by English sentence, so that no\n"@/
  "  English sentence is in two of them; shares F of the sentences (default 0.1 each),\n"@/
  "  shuffled with seed S (default 1).\n";

@ The command reads the pairs, gives each pair its part (0 for training, 1
for validation, 2 for the test) with |pairs_split|, and writes the files.
@<The \.{split} command@>=
static int cmd_split(int argc, char **argv)
{
  static const struct option longopts[] = {{"data", required_argument, 0, 'd'},
    {"out-dir", required_argument, 0, 'o'}, {"test", required_argument, 0, 't'},
    {"valid", required_argument, 0, 'v'}, {"seed", required_argument, 0, 's'},
    {"filter", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *data = NULL, *dir = NULL;
  double share[2] = {0.1, 0.1};
  long seed = 1;
  int filter = FILTER_TUTORIAL, c;
  @<Read the options of \.{split}, or return 2@>@;
  PairList pl;
  if (pairs_read(&pl, data, filter, DEFAULT_MAX_LENGTH)) {
    fprintf(stderr, "attention split: %s\n", kit_error());
    return 1;
  }
  int *part = xcalloc((size_t) pl.n, sizeof(int)), counts[3][2];
  int status = pairs_split(&pl, share[0], share[1], (uint64_t) seed, part, counts);
  if (status == 0) @<Write the three files, and say what went where@>@;
  if (status) fprintf(stderr, "attention split: %s\n", kit_error());
  free(part);
  pairs_free(&pl);
  return status ? 1 : 0;
}

@ The options are read as \.{train}'s are, the fractions strictly.
@<Read the options of \.{split}...@>=
opterr = 0;
optind = 1;
while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
  int bad = 0;
  if (c == 'd') data = optarg;
  else if (c == 'o') dir = optarg;
  else if (c == 't' || c == 'v') @<Read the share of \.{--test} or \.{--valid}, or set |bad|@>@;
  else if (c == 's') bad = parse_long("split", "--seed", optarg, 0, 0x7fffffffffffL, &seed) != 0;
  else if (c == 'f' && (strcmp(optarg, "tutorial") == 0 || strcmp(optarg, "length") == 0))
    filter = strcmp(optarg, "tutorial") == 0 ? FILTER_TUTORIAL : FILTER_LENGTH;
  else if (c == 'h') { fputs(split_usage, stdout); return 0; }
  else {
    fprintf(stderr, "attention split: bad option \"%s\"\n", argv[optind - 1]);
    bad = 1;
  }
  if (bad) { fputs(split_usage, stderr); return 2; }
}
if (!data || !dir || optind < argc) {
  fprintf(stderr, "attention split: %s\n", optind < argc ? "unexpected argument" :
    "--data FILE and --out-dir DIR are required");
  fputs(split_usage, stderr);
  return 2;
}

@ A share may be 0 (no such file's sentences) but not 1: the training file
would be empty.
@<Read the share of \.{--test} or \.{--valid}, or set |bad|@>=
{
  char *end;
  double x = strtod(optarg, &end);
  if (end == optarg || *end || !(x >= 0.0 && x < 1.0)) {
    fprintf(stderr, "attention split: %s wants a share from 0 to below 1, not \"%s\"\n",
      argv[optind - 1], optarg);
    bad = 1;
  } else share[c == 'v'] = x;
}

@ The three parts are written as pair files, so that \.{train --data} and \.{eval --data} read them.
@<Write the three files...@>=
{
  static const char *const name[3] = {"train", "valid", "test"};
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    status = kit_fail("%s: cannot make the folder: %s", dir, strerror(errno));
  for (int p = 0; p < 3 && status == 0; p++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.txt", dir, name[p]);
    FILE *f = fopen(path, "wb");
    if (!f) {
      status = kit_fail("%s: cannot write: %s", path, strerror(errno));
      break;
    }
    for (int k = 0; k < pl.n; k++)
      if (part[k] == p) fprintf(f, "%s\t%s\n", pl.pair[k].src, pl.pair[k].tgt);
    if (fclose(f) != 0) status = kit_fail("%s: cannot write: %s", path, strerror(errno));
    else printf("%-5s %6d English sentences, %6d pairs -> %s\n", name[p], counts[p][0],
      counts[p][1], path);
  }
}

@ \.{attention eval} translates every source sentence of a pair file and
scores the translations. Pairs that share an English sentence are one
source with several references. The file is read with the length filter at
the longest sentence the kit reads, so that the test set is the file, not
the part of it that the tutorial's filter likes. A source the model cannot
read (an unknown word, for the notebook's kind, or too many words) is
translated as nothing, counted, and named once on the standard error stream.
Besides \.{--model CKPT} and \.{--data FILE}, which it needs, and the beam's
options, it takes
\options{\.{--show N}&print $N$ sources with their references and translations\cr
\.{--output FILE}&write the translations to the file, one a line, in order\cr
\.{--batch B}&sentences decoded together (default 64)\cr}
@<The \.{eval} command@>=
static const char *eval_usage =@/
  "usage: attention eval --model CKPT --data FILE [OPTIONS]\n"@/
  "  Translates every English sentence of FILE (pairs with the same English are one\n"@/
  "  source with several references) and prints corpus BLEU-4 in sacreBLEU's form,\n"@/
  "  the exact-match rate, BLEU by source length and the speed.\n"@/
  "  --show N            print N sources with their references and translations\n"@/
  "  --output FILE       write the translations to FILE, one a line, in order\n"@/
  "  --batch B           sentences decoded together (default 64)\n"@/
  BEAM_USAGE;

typedef struct {
  const char *model, *data, *output;
  long show, batch;
  BeamChoice beam;
} EvalOptions;

@ \.{eval} takes the beam's options, as \.{translate} does, and its own: the model, the data, how many translations to show and where to write them.
@<The \.{eval} command@>=
static int eval_options(int argc, char **argv, EvalOptions *o)
{
  static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
    {"data", required_argument, 0, 'd'}, {"show", required_argument, 0, 'S'},
    {"output", required_argument, 0, 'o'}, {"batch", required_argument, 0, 'b'},
    {"help", no_argument, 0, 'h'}, BEAM_OPTIONS, {0, 0, 0, 0}};
  int c, bad = 0, r;
  *o = (EvalOptions) {NULL, NULL, NULL, 0, 64, {{0}}};
  beam_defaults(&o->beam);
  opterr = 0;
  optind = 1;
  while (!bad && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1)
    @<Read option |c| of \.{eval} into |*o|, or set |bad|@>@;
  if (!bad && (!o->model || !o->data || optind < argc)) {
    fprintf(stderr, "attention eval: %s\n", optind < argc ? "unexpected argument" :
      "--model CKPT and --data FILE are required");
    bad = 1;
  }
  if (bad) fputs(eval_usage, stderr);
  return bad ? -1 : 0;
}

@ \.{--help} prints the usage and exits at once; any other option that is
not \.{eval}'s own is tried as one of the beam's.
@<Read option |c| of \.{eval} into |*o|, or set |bad|@>=
{
  if (c == 'm') o->model = optarg;
  else if (c == 'd') o->data = optarg;
  else if (c == 'o') o->output = optarg;
  else if (c == 'S') bad = parse_long("eval", "--show", optarg, 0, 100000000, &o->show) != 0;
  else if (c == 'b') bad = parse_long("eval", "--batch", optarg, 1, 100000, &o->batch) != 0;
  else if (c == 'h') { fputs(eval_usage, stdout); exit(0); }
  else if ((r = beam_option("eval", c, optarg, &o->beam)) != 0) bad = r < 0;
  else {
    fprintf(stderr, "attention eval: %s \"%s\"\n", c == ':' ? "missing value for" :
      "unknown option", argv[optind - 1]);
    bad = 1;
  }
}

@ A Part II model is loaded for batches of all the hypotheses of a batch of
sources, so that a step of the beam is one batch (at most 1024 rows).
@<The \.{eval} command@>=
static int eval_rows(const EvalOptions *o)
{
  long rows = o->batch * o->beam.o.beam;
  return rows > 1024 ? 1024 : (int) rows;
}

static void eval_free_model(int kind, Model *m, BModel *bm)
{
  if (kind == KIND_SEED) model_free(m);
  else bmodel_free(bm);
}

@ The work: read, group, translate in batches, score, report.
@<The \.{eval} command@>=
static int cmd_eval(int argc, char **argv)
{
  EvalOptions o;
  if (eval_options(argc, argv, &o)) return 2;
  @<Load the model and read the pairs of \.{eval}, or return@>@;
  int n_src, *group = pairs_group_sources(&pl, &n_src), status = 0;
  @<Gather each source's first pair, its words and its references@>@;
  @<Translate the sources in batches, timing it@>@;
  @<Score the translations and print the report@>@;
  @<Write the translations to \.{--output}, if asked to@>@;
  @<Free what \.{eval} used@>@;
  return status;
}

@ The model runs on the CPU. The beam's options are checked against it
before the file is read, which may take a while; the file is read with the
length filter at four times the notebook's longest sentence.
@<Load the model and read the pairs of \.{eval}, or return@>=
Model m;
BModel bm;
PairList pl;
int kind = checkpoint_load_any(o.model, &m, &bm, &cpu_backend, eval_rows(&o));
if (kind < 0) {
  fprintf(stderr, "attention eval: %s\n", kit_error());
  return 1;
}
int L = kind ? bm.cfg.L : m.cfg.L;
const Vocab *vin = kind ? &bm.vin : &m.vin, *vout = kind ? &bm.vout : &m.vout;
if (beam_check("eval", &o.beam, L, vout)) { eval_free_model(kind, &m, &bm); return 2; }
if (pairs_read(&pl, o.data, FILTER_LENGTH, DEFAULT_MAX_LENGTH * 4)) {
  fprintf(stderr, "attention eval: %s\n", kit_error());
  eval_free_model(kind, &m, &bm);
  return 1;
}

@ Sources are numbered by their first pair, and their references are the
pairs' French sentences, in file order. A source's words are looked up
once; one that fails is remembered as failed.
@<Gather each source's first pair...@>=
int *first = xcalloc((size_t) n_src, sizeof(int)), *n_ref = xcalloc((size_t) n_src, sizeof(int));
int **ref = xcalloc((size_t) n_src, sizeof *ref), *ref_fill = xcalloc((size_t) n_src, sizeof(int));
for (int k = pl.n - 1; k >= 0; k--) first[group[k]] = k, n_ref[group[k]]++;
for (int s = 0; s < n_src; s++) ref[s] = xcalloc((size_t) n_ref[s], sizeof(int));
for (int k = 0; k < pl.n; k++) ref[group[k]][ref_fill[group[k]]++] = k;
int *src = xcalloc((size_t) n_src * (size_t) L, sizeof(int)), *src_len = xcalloc((size_t) n_src,
  sizeof(int)), failed = 0;
Vocab unknown;
int unk_sources = 0;
vocab_init(&unknown);
for (int s = 0; s < n_src; s++) {
  char where[600];
  snprintf(where, sizeof where, "%.500s:%d", o.data, pl.pair[first[s]].line);
  if (kind == KIND_SEED)
    src_len[s] = tokenize(vin, pl.pair[first[s]].src, src + (size_t) s * L, L, where, "English");
  else @<Number source |s| for a Part II model, with \.{<UNK>} and \EOS@>@;
  if (src_len[s] <= 0 && failed++ == 0)
    fprintf(stderr, "attention eval: warning: %s; such sources count as empty "
      "translations\n", src_len[s] < 0 ? kit_error() : "a source has no words");
}
if (unk_sources) @<Say how many words of the file the model does not know@>@;
vocab_free(&unknown);

@ A Part II model reads an unknown word as \.{<UNK>}, as \.{translate} does;
only a sentence longer than the model reads fails. A test file has many such
words, so |eval| collects them and says how many there are, with the first
few, in one warning.
@<Say how many words of the file the model does not know@>=
{
  fprintf(stderr, "attention eval: warning: %d words of %s are not in the model's English "
    "vocabulary and are read as <UNK> (in %d of %d sources):", unknown.n - 2, o.data,
    unk_sources, n_src);
  for (int k = 2; k < unknown.n && k < 7; k++) fprintf(stderr, " %s", unknown.word[k]);
  fprintf(stderr, "%s\n", unknown.n > 7 ? " ..." : "");
}

@ For a Part II model an unknown word is \.{<UNK>}, and the sentences that
have one are counted and their words collected for the one warning above.
@<Number source |s| for a Part II model...@>=
{
  int unk = 0, *ids = src + (size_t) s * L;
  int n = tokenize_unk(vin, pl.pair[first[s]].src, ids, L - 1, &unk);
  if (n < 0) kit_fail("%s: the English sentence has more than %d words, the most this model "
    "reads", where, L - 1);
  if (unk && n > 0) unk_sources++, warn_unknown(NULL, vin, &unknown, pl.pair[first[s]].src, where);
  if (n > 0) ids[n++] = EOS_TOKEN;
  src_len[s] = n;
}

@ The sources that can be read are decoded |o.batch| at a time: one encoder
pass each, then one beam search over the batch.
@<Translate the sources in batches, timing it@>=
char **hyp = xcalloc((size_t) n_src, sizeof *hyp);
Decoder *d = kind == KIND_SEED ? model_decoder(&m) : bmodel_decoder(&bm);
double t0 = now_seconds();
for (int s0 = 0; s0 < n_src; s0 += (int) o.batch) {
  int *idx = xcalloc((size_t) o.batch, sizeof(int)), nb = 0;
  for (int s = s0; s < n_src && s < s0 + o.batch; s++)
    if (src_len[s] > 0) idx[nb++] = s;
    else hyp[s] = xstrdup("");
  if (nb > 0 && kind != KIND_SEED && !o.beam.used)
    @<Decode the |nb| sources |idx| greedily with the batched model@>@;
  else if (nb > 0) @<Decode the |nb| sources |idx| and keep their best translations@>@;
  free(idx);
}
double seconds = now_seconds() - t0;
d->release(d);

@ A block of sources is encoded together and searched together, through the decoder's interface.
@<Decode the |nb| sources |idx| and keep their best translations@>=
{
  const int **sp = xcalloc((size_t) nb, sizeof *sp);
  int *len = xcalloc((size_t) nb, sizeof(int)), *found = xcalloc((size_t) nb, sizeof(int));
  for (int j = 0; j < nb; j++) sp[j] = src + (size_t) idx[j] * L, len[j] = src_len[idx[j]];
  float *init = xcalloc((size_t) nb * (size_t) d->state_floats, sizeof(float));
  d->encode(d, sp, len, nb, init);
  Hypothesis *y = xcalloc((size_t) nb * (size_t) o.beam.o.n_best, sizeof *y);
  beam_search(d, nb, init, &o.beam.o, y, found);
  for (int j = 0; j < nb; j++) {
    char *copy = xstrdup(pl.pair[first[idx[j]]].src), *words[DEFAULT_MAX_LENGTH * 4];
    int nw = 0;
    for (char *p = strtok(copy, " "); p && nw < DEFAULT_MAX_LENGTH * 4; p = strtok(NULL, " "))
      words[nw++] = p;
    Hypothesis *best = &y[(size_t) j * o.beam.o.n_best];
    hyp[idx[j]] = hypothesis_words(d, vout, best, words, nw, o.beam.replace_unk);
    hypotheses_free(best, found[j]);
    free(copy);
  }
  free(y); free(init); free(sp); free(len); free(found);
}

@ Without beam options a Part II model decodes with |bmodel_greedy|, whose
most probable word is found on the backend: no log-softmax, and nothing of
the $V$ numbers a row comes back to the host. (A beam of 1 gives the same
words, which the tests check; it is slower, since the beam needs every
word's log-probability.)
@<Decode the |nb| sources |idx| greedily with the batched model@>=
{
  Example *ex = xcalloc((size_t) nb, sizeof *ex);
  int *out = xcalloc((size_t) nb * L, sizeof(int)), *len = xcalloc((size_t) nb, sizeof(int));
  for (int j = 0; j < nb; j++) {
    memcpy(ex[j].src, src + (size_t) idx[j] * L, (size_t) src_len[idx[j]] * sizeof(int));
    ex[j].src_len = src_len[idx[j]];
  }
  bmodel_greedy(&bm, ex, nb, out, len, NULL);
  for (int j = 0; j < nb; j++) hyp[idx[j]] = words_join(vout, out + (size_t) j * L, len[j]);
  free(ex), free(out), free(len);
}

@ The report: the corpus score, exact matches, the score by the source's
length in words (a punctuation mark is a word here, as it is for the
filter's limit of $L$ words), and the speed.
@<Score the translations and print the report@>=
BleuStats all = {0}, by_len[4];
memset(by_len, 0, sizeof by_len);
int exact = 0;
for (int s = 0; s < n_src; s++) {
  const char *en = pl.pair[first[s]].src;
  int nw = 1;
  for (const char *p = en; *p; p++) nw += *p == ' ';
  int bucket = nw <= 3 ? 0 : nw <= 6 ? 1 : nw <= 9 ? 2 : 3;
  @<Add source |s| to |all| and |by_len[bucket]|, and count an exact match@>@;
}
@<Print the report of \.{eval}@>@;

@ A source's counts go into the corpus's and into those of its length's bucket, against all its references; it counts as exact when the translation is one of them.
@<Add source |s| to |all|...@>=
{
  Vocab v;
  vocab_init(&v);
  int *h, hl = words_intern(&v, hyp[s], &h);
  int **r = xcalloc((size_t) n_ref[s], sizeof *r), *rl = xcalloc((size_t) n_ref[s], sizeof(int));
  int hit = 0;
  for (int i = 0; i < n_ref[s]; i++) {
    rl[i] = words_intern(&v, pl.pair[ref[s][i]].tgt, &r[i]);
    hit |= src_len[s] > 0 && strcmp(hyp[s], pl.pair[ref[s][i]].tgt) == 0;
  }
  exact += hit;
  bleu_add(&all, h, hl, (const int *const *) r, rl, n_ref[s]);
  bleu_add(&by_len[bucket], h, hl, (const int *const *) r, rl, n_ref[s]);
  for (int i = 0; i < n_ref[s]; i++) free(r[i]);
  free(r); free(rl); free(h);
  vocab_free(&v);
}

@ The report names the data and the decoding settings before the scores, so that a score is never read without them.
@<Print the report of \.{eval}@>=
{
  char line[256];
  static const char *const bucket_name[4] = {"1-3", "4-6", "7-9", "10+"};
  printf("Sources: %d (%d references) from %s\n", n_src, pl.n, o.data);
  if (o.beam.used) printf("Decoding: beam %d, length penalty %s, alpha %g, max length %d\n",
    o.beam.o.beam, o.beam.o.penalty == LP_NONE ? "none" : o.beam.o.penalty == LP_AVG ? "avg" : "wu",
    o.beam.o.alpha, o.beam.o.max_length);
  else printf("Decoding: greedy (beam 1), max length %d\n", o.beam.o.max_length);
  bleu_format(&all, line, sizeof line);
  printf("%s\n", line);
  printf("Exact match: %.1f%% (%d of %d sources equal one of their references)\n",
    n_src ? 100.0 * exact / n_src : 0.0, exact, n_src);
  for (int b = 0; b < 4; b++)
    if (by_len[b].sentences > 0) {
      bleu_format(&by_len[b], line, sizeof line);
      printf("  %-3s words: %5ld sources, %s\n", bucket_name[b], by_len[b].sentences, line);
    } else if (b < 3) printf("  %-3s words:    no sources\n", bucket_name[b]);
  if (failed) printf("Failed: %d sources the model cannot read, counted as empty translations\n",
    failed);
  printf("Speed: %d sources in %.3f s, %.0f sentences/s\n", n_src - failed, seconds,
    seconds > 0 ? (n_src - failed) / seconds : 0.0);
  @<Show the first \.{--show} sources with their references@>@;
}

@ A few translations beside their references show what the score means.
@<Show the first \.{--show} sources...@>=
for (int s = 0; s < n_src && s < o.show; s++) {
  printf("EN:  %s\n", pl.pair[first[s]].src);
  for (int i = 0; i < n_ref[s]; i++) printf("REF: %s\n", pl.pair[ref[s][i]].tgt);
  printf("OUT: %s\n", hyp[s]);
}

@ The translations, one a line, can be scored again with \.{bleu} or compared between runs.
@<Write the translations to \.{--output}...@>=
if (o.output) {
  FILE *f = fopen(o.output, "wb");
  if (!f) status = kit_fail("%s: cannot write: %s", o.output, strerror(errno));
  else {
    for (int s = 0; s < n_src; s++) fprintf(f, "%s\n", hyp[s]);
    if (fclose(f) != 0) status = kit_fail("%s: cannot write: %s", o.output, strerror(errno));
  }
  if (status) {
    fprintf(stderr, "attention eval: %s\n", kit_error());
    status = 1;
  }
}

@ Everything that \.{eval} made is freed before it returns.
@<Free what \.{eval} used@>=
for (int s = 0; s < n_src; s++) free(hyp[s]), free(ref[s]);
free(hyp); free(ref); free(ref_fill); free(n_ref); free(first); free(src); free(src_len);
free(group);
pairs_free(&pl);
eval_free_model(kind, &m, &bm);

@* The exercises.
@^exercises@>
@^grading@>
The fourteen exercises of this book are pieces of the program itself. Each
one's answer is a named section above, stated in an \.{Exercise} paragraph
right after it; together they are worth 100 points. The student kit, made by
\.{make handout}, is this web with every answer replaced by a {\it stub\/}:
code that compiles and runs and does nothing useful, so that the kit builds
from the start, \.{make run} trains a translator that cannot translate, and
each exercise done brings it a step closer to the one that can.

A student answers in a {\it change file}, the way CWEB programs have long
been adapted without editing them~\cite{cweb}:
@^change files@> between \.{@@x} and \.{@@y} the lines of the
stub, as they are, and between \.{@@y} and \.{@@z} the student's code. The
student's code is then code in this literate document: the compiler's
messages point at the line of the change file, \.{make run} trains the
translator with it, and \.{cweave} can print just the sections it changed,
which is what a grader reads.

\medskip
\item{1.} {\it The vocabulary's hash table (linear probing)\/} (easy, 4 points): |@<Walk the probe sequence of |w| to its slot or to an empty one@>|.
\item{2.} {\it Normalising a sentence (lower case, NFD, marks dropped)\/} (medium, 4 points): |@<Lower-case |c|, decompose it, and send each piece to |out_put|@>|.
\item{3.} {\it Stable softmax and log-softmax\/} (easy, 8 points): |@<Set |p| to the softmax of the |n| scores |s|@>|, |@<Set |p| to the log-softmax of the |n| scores |s|@>|.
\item{4.} {\it One step of a GRU unit\/} (easy, 8 points): |@<Compute the gates |r|, |z|, |n| of one unit and return its new state@>|.
\item{5.} {\it Attention weights and the context vector\/} (easy, 8 points): |@<Set |wb| to the softmax of |s| and |c| to the weighted sum of the rows of |O|@>|.
\item{6.} {\it The negative log-likelihood and its gradient\/} (medium, 10 points): |@<Add to |loss| the negative log-probability of each row's target@>|, |@<Set |dlogits| to $p-{\rm onehot}(y)$ for every row@>|.
\item{7.} {\it The backward step of a GRU unit\/} (hard, 12 points): |@<Compute the gradients of one GRU unit's gates from $\bar h'$@>|.
\item{8.} {\it The backward step of the attention\/} (hard, 12 points): |@<Set |ds| to the gradient of the scores and add $w_i\bar c$ to the rows of |dO|@>|.
\item{9.} {\it One step of Adam\/} (medium, 6 points): |@<Set the constants |k| of Adam's step |t|@>|, |@<Take one Adam step on the |n| parameters@>|.
\item{10.} {\it Greedy decoding that stops at \EOS\/} (medium, 6 points): |@<Decode greedily into |out| until \EOS\ or $L$ words@>|.
\item{11.} {\it The colour of a heatmap cell\/} (easy, 4 points): |@<Interpolate the colour of weight |w| between the control points@>|.
\item{12.} {\it BLEU's clipped n-gram precision\/} (medium, 6 points): |@<Add to |*match| the clipped matches of the |n|-grams of |hyp|@>|.
\item{13.} {\it The masked softmax\/} (easy, 5 points): |@<Set row |r| of |w| to the softmax of row |r| of |e| over its sentence's words@>|.
\item{14.} {\it The additive score, forward and backward\/} (hard, 7 points): |@<Set |e[i]| to the additive score of index |i|, keeping its $\tanh$ values in |a|@>|, |@<Replace $a_{r,j}$ by the gradient of its pre-activation@>|, |@<Set $\bar q_{b,j}$ to the sum of the pre-activation's gradients over the positions@>|, |@<Add the pre-activation's gradient of key row |r| to $\overline{uk}_{r,j}$@>|.
\medskip

@ The grader builds each exercise of a submission on its own: this web with
only that exercise's stub, then the student's change file, so that a mistake
in one exercise costs nothing in the others. Before anything is built, the
change file must match the stub and change nothing outside the exercise's
sections. Each exercise has public tests, shipped with the kit, and hidden
ones, kept for grading; their expected values come from the definitions in
this book computed in double precision, from finite differences, or from
values worked out by hand, never from running the reference code. The
student's code runs in a separate process under its own user, without
network, with limits on time, memory, processes and output, and it only
returns numbers: the verdict is reached by a test process that the student's
code cannot reach. \.{make grade SUB=DIR} grades one student and
\.{make grade-class SUBMISSIONS=DIR} a whole class, into a gradebook; the
kit's own tests grade the reference answers (full marks), the untouched
stubs (zero), and a gallery of hostile submissions (zero, and nothing else
harmed).

@* References.
@^references@>
The papers, programs and books that this one builds on, in the order of
the story: the encoder--decoder and its attention, Adam, the measures and
methods that later chapters use, the notebook and the tutorial it follows,
and the programs whose style this one borrows.
\medskip
\bibitem{cho}{Kyunghyun Cho, Bart van Merri\"enboer, Caglar Gulcehre, Dzmitry
  Bahdanau, Fethi Bougares, Holger Schwenk and Yoshua Bengio, ``Learning phrase
  representations using RNN encoder--decoder for statistical machine
  translation,'' {\it Proceedings of EMNLP 2014}, 1724--1734. The GRU and the
  encoder--decoder; \.{arXiv:1406.1078}.}
\bibitem{bahdanau}{Dzmitry Bahdanau, Kyunghyun Cho and Yoshua Bengio, ``Neural
  machine translation by jointly learning to align and translate,'' {\it ICLR
  2015}; \.{arXiv:1409.0473}. Attention, with additive scores from the
  previous decoder state.}
\bibitem{luong}{Minh-Thang Luong, Hieu Pham and Christopher D. Manning,
  ``Effective approaches to attention-based neural machine translation,'' {\it
  Proceedings of EMNLP 2015}, 1412--1421; \.{arXiv:1508.04025}. Dot-product and
  bilinear scores from the new decoder state.}
\bibitem{kingma}{Diederik P. Kingma and Jimmy Ba, ``Adam: a method for
  stochastic optimization,'' {\it ICLR 2015}; \.{arXiv:1412.6980}.}
\bibitem{papineni}{Kishore Papineni, Salim Roukos, Todd Ward and Wei-Jing Zhu,
  ``BLEU: a method for automatic evaluation of machine translation,'' {\it
  Proceedings of ACL 2002}, 311--318.}
\bibitem{wu}{Yonghui Wu, Mike Schuster, Zhifeng Chen, Quoc V. Le, Mohammad
  Norouzi and others, ``Google's neural machine translation system: bridging
  the gap between human and machine translation,'' 2016;
  \.{arXiv:1609.08144}. Beam search with length and coverage penalties.}
\bibitem{vaswani}{Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob Uszkoreit,
  Llion Jones, Aidan N. Gomez, \L ukasz Kaiser and Illia Polosukhin,
  ``Attention is all you need,'' {\it Advances in Neural Information
  Processing Systems 30\/} (2017), 5998--6008; \.{arXiv:1706.03762}.}
\bibitem{notebook}{{\it Attention Mechanism in Sequence-to-Sequence (Seq2Seq)
  Models}, a Jupyter notebook in \PB{PyTorch}: five English--French pairs, a
  GRU encoder, a decoder with location-based attention, heatmaps. The kit's
  copy, as text, is \.{shared/seed/notebook.txt}; it names no author.}
\bibitem{tutorial}{Sean Robertson, ``NLP from scratch: translation with a
  sequence to sequence network and attention,'' \PB{PyTorch} Tutorials, 2017,
  rewritten in 2023 with Bahdanau attention and batches;
  \.{pytorch.org/tutorials/}\allowbreak\.{intermediate/}\allowbreak\.{seq2seq\_translation\_tutorial.html}.}
\bibitem{llmc}{Andrej Karpathy, {\it llm.c: LLM training in simple, raw
  C/CUDA}, 2024; \.{github.com/karpathy/llm.c}. One buffer for all parameters,
  a CPU reference for every kernel.}
\bibitem{brewer}{Mark Harrower and Cynthia A. Brewer, ``ColorBrewer.org: an
  online tool for selecting colour schemes for maps,'' {\it The Cartographic
  Journal\/} 40 (2003), 27--37.}
\bibitem{cweb}{Donald E. Knuth and Silvio Levy, {\it The CWEB System of
  Structured Documentation}, version 3.0 (Reading, Massachusetts:
  Addison-Wesley, 1994); and Donald E. Knuth, ``Literate programming,'' {\it
  The Computer Journal\/} 27 (1984), 97--111.}
\def\chapterbreak{\vfil\eject}% the index starts on a page of its own

@* Index.
Every identifier of the program is listed with the sections where it is used,
underlined where it is defined, together with the concepts of the book. The
functions and constants of the Cairo, cJSON and utf8proc libraries are left
out: their own manuals describe them.
