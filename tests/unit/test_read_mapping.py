"""Counting reads per ASV: same-length reads by Hamming distance in numpy,
the rest by vsearch (known answers; a brute-force Hamming reference; vsearch
alone as the independent implementation)."""

import collections
import gzip

import numpy as np
import pytest
from conftest import REFERENCE, REPO, needs_tools

from gutlung_pipeline.denoise import (
    map_samples,
    nearest_same_length,
    read_otutab_samples,
)
from gutlung_pipeline.denoise.mapping import same_length_index
from gutlung_pipeline.io import read_fasta

SWAP = {"A": "C", "C": "G", "G": "T", "T": "A"}


def reference_seqs(n, length=253):
    out = [s.upper() for s in read_fasta(REFERENCE).values() if len(s) == length]
    return out[:n]


def mutate(seq, positions):
    for k in positions:
        seq = seq[:k] + SWAP[seq[k]] + seq[k + 1 :]
    return seq


def hamming(x, y):
    return sum(a != b for a, b in zip(x, y, strict=True))


def nearest(queries, asvs, identity=0.97):
    index = same_length_index(asvs)
    return list(
        nearest_same_length([q.encode() for q in queries], index, identity=identity)
    )


def test_known_answers_at_the_identity_bound():
    a, b = reference_seqs(2)
    # 253 nt at 97%: at most floor(0.03 * 253) = 7 substitutions
    seven = mutate(a, range(10, 240, 33))
    eight = mutate(a, range(10, 250, 30))
    assert hamming(a, seven) == 7
    assert hamming(a, eight) == 8
    got = nearest([a, b, seven, eight, a.lower(), "N" + a[1:], a[1:]], [a, b])
    assert got == [0, 1, 0, -1, 0, -1, -1]
    # 64 nt: two words, the second partly filled; floor(0.03 * 64) = 1
    short = "ACGT" * 16
    assert nearest([short, mutate(short, [63]), mutate(short, [0, 63])], [short]) == [
        0,
        0,
        -1,
    ]


def test_ties_go_to_the_more_abundant_asv():
    (a,) = reference_seqs(1)
    b = mutate(a, [100, 200])  # a second ASV two substitutions from a
    mid = mutate(a, [100])  # one from each
    assert nearest([mid], [a, b]) == [0]
    assert nearest([mid], [b, a]) == [0]


def test_equals_brute_force_hamming():
    rng = np.random.default_rng(7)
    asvs = reference_seqs(40)
    queries, want = [], []
    for _ in range(600):
        k = int(rng.integers(len(asvs)))
        n = int(rng.integers(0, 11))
        q = mutate(asvs[k], rng.choice(253, size=n, replace=False))
        queries.append(q)
        dist = [hamming(q, t) for t in asvs]
        best = int(np.argmin(dist))
        want.append(best if dist[best] <= 7 else -1)
    assert nearest(queries, asvs) == want
    assert 0 < want.count(-1) < len(want)  # both outcomes occur


def test_the_filter_words_change_no_answer():
    """The first pass (the two words where the ASVs differ most) only leaves
    out pairs farther than the limit: reads with their errors in those words,
    near-identical ASVs that differ only elsewhere, and ties give the
    brute-force answer (the nearest, the earlier ASV on a tie)."""
    rng = np.random.default_rng(11)
    asvs = reference_seqs(30)
    # near-identical ASVs: a few substitutions outside any filter word
    index = same_length_index(asvs)
    rows, _, filters = index[253]
    assert len(filters) == 2 and len(rows) == 30
    in_filters = [b for w in filters for b in range(32 * w, min(32 * w + 32, 253))]
    outside = sorted(set(range(253)) - set(in_filters))
    twins = [mutate(a, rng.choice(outside, size=2, replace=False)) for a in asvs[:8]]
    asvs = asvs + twins
    queries, want = [], []
    for _ in range(800):
        k = int(rng.integers(len(asvs)))
        n = int(rng.integers(0, 10))
        where = in_filters if rng.random() < 0.7 else list(range(253))
        q = mutate(asvs[k], rng.choice(where, size=n, replace=False))
        queries.append(q)
        dist = [hamming(q, t) for t in asvs]
        best = int(np.argmin(dist))  # the first of equal distances
        want.append(best if dist[best] <= 7 else -1)
    assert nearest(queries, asvs) == want
    assert 0 < want.count(-1) < len(want)
    # a tie between an ASV and its twin, one substitution from each
    a, twin = asvs[0], asvs[30]
    diff = [i for i in range(253) if a[i] != twin[i]]
    mid = a[: diff[0]] + twin[diff[0]] + a[diff[0] + 1 :]
    assert hamming(mid, a) == hamming(mid, twin) == 1
    assert nearest([mid], asvs) == [0]


def test_the_filter_words_on_real_reads():
    """DADA2's real MiSeq reads (sam1F, sam2F: 250 nt, errors as they come):
    the 100 most abundant uniques taken as ASVs, every read's nearest is the
    same with the filter words as without them."""
    reads = []
    for name in ("sam1F", "sam2F"):
        path = REPO / f"tests/data/real/dada2_extdata/{name}.fastq.gz"
        with gzip.open(path, "rt") as handle:
            reads += [line.strip() for k, line in enumerate(handle) if k % 4 == 1]
    reads = [r for r in reads if len(r) == 250]
    asvs = [s for s, _ in collections.Counter(reads).most_common(100)]
    index = same_length_index(asvs)
    rows, targets, filters = index[250]
    assert len(filters) == 2
    queries = [r.encode() for r in reads]
    got = nearest_same_length(queries, index, identity=0.97)
    full = {250: (rows, targets, np.zeros(0, np.int64))}
    want = nearest_same_length(queries, full, identity=0.97)
    np.testing.assert_array_equal(got, want)
    assert len(reads) == 3000 and 0 < (want >= 0).sum() < len(reads)


def write(path, records):
    path.write_text(
        "".join(
            f">sample={s};{label};size={n}\n{seq}\n" for s, label, seq, n in records
        )
    )
    return path


@needs_tools
def test_indels_and_chimeras_go_to_vsearch(tmp_path):
    a, b = reference_seqs(2)
    asvs = tmp_path / "asvs.fa"
    asvs.write_text(f">A\n{a}\n>B\n{b}\n")
    deletion = a[:120] + a[121:]  # one base lost: vsearch finds A at 99.6%
    chimera = a[:126] + b[126:]
    s1 = write(
        tmp_path / "s1.fa",
        [
            ("s1", "r1", a, 50),
            ("s1", "r2", mutate(b, [5, 90]), 4),
            ("s1", "r3", deletion, 3),
            ("s1", "r4", chimera, 6),
        ],
    )
    s2 = write(tmp_path / "s2.fa", [("s2", "r1", b, 9)])
    counts = map_samples([s1, s2], asvs, tmp_path / "otu.tsv")
    # A and B are close: the chimera has enough of its 8-mers in A to be
    # searched (distant parents: test_the_kmer_count_by_hand_and_its_bound)
    assert counts == {"uniques": 5, "by_hamming": 3, "ruled_out": 0, "by_vsearch": 2}
    got = read_otutab_samples(tmp_path / "otu.tsv")
    assert got["s1"].to_dict() == {"A": 53, "B": 4}  # the chimera is far from both
    assert got["s2"].to_dict() == {"A": 0, "B": 9}


@needs_tools
def test_counts_agree_with_vsearch_alone(tmp_path):
    """Every read of a noisy sample counted as vsearch alone counts it (its
    first accepted candidate may be farther: allow a handful of reads)."""
    import subprocess

    rng = np.random.default_rng(3)
    asvs = reference_seqs(30)
    (tmp_path / "asvs.fa").write_text(
        "".join(f">asv{k}\n{s}\n" for k, s in enumerate(asvs))
    )
    records = []
    for r in range(3000):
        k = int(rng.integers(len(asvs)))
        seq = mutate(asvs[k], rng.choice(253, size=int(rng.poisson(2)), replace=False))
        if r % 50 == 0:
            seq = seq[:60] + seq[61:]  # an indel now and then
        records.append(("s1", f"r{r}", seq, 1))
    reads = write(tmp_path / "s1.fa", records)
    counts = map_samples([reads], tmp_path / "asvs.fa", tmp_path / "fast.tsv")
    assert counts["by_vsearch"] >= 60
    subprocess.run(
        [
            "vsearch",
            "--usearch_global",
            reads,
            "--db",
            tmp_path / "asvs.fa",
            "--id",
            "0.97",
            "--strand",
            "plus",
            "--sizein",
            "--maxrejects",
            "8",
            "--qmask",
            "none",
            "--dbmask",
            "none",
            "--otutabout",
            tmp_path / "slow.tsv",
            "--quiet",
        ],
        check=True,
    )
    fast = read_otutab_samples(tmp_path / "fast.tsv")["s1"]
    slow = read_otutab_samples(tmp_path / "slow.tsv")["s1"].reindex(fast.index)
    assert fast.sum() == slow.fillna(0).sum()
    assert (fast - slow.fillna(0)).abs().sum() <= 10


def test_unlabelled_reads_stop_with_the_fix(tmp_path):
    (a,) = reference_seqs(1)
    asvs = tmp_path / "asvs.fa"
    asvs.write_text(f">A\n{a}\n")
    bad = tmp_path / "bad.fa"
    bad.write_text(f">r1;size=2\n{a}\n")
    with pytest.raises(ValueError, match="lacks sample=<id>.*--relabel"):
        map_samples([bad], asvs, tmp_path / "o.tsv")
    wrapped = tmp_path / "wrapped.fa"
    wrapped.write_text(f">sample=s;r1;size=2\n{a[:100]}\n{a[100:]}\n")
    with pytest.raises(ValueError, match="not one-line FASTA"):
        map_samples([wrapped], asvs, tmp_path / "o.tsv")


def kmers_found(read, asv, step=2):
    """By hand: the read's 8-mers, one each ``step`` bases, found in the ASV."""
    return sum(read[i : i + 8] in asv for i in range(0, len(read) - 7, step))


def may_map_by_hand(read, asvs, identity=0.97, overhang=8, step=2):
    if set(read) - set("ACGT"):
        return True
    kmers = len(range(0, len(read) - 7, step))
    for asv in asvs:
        edits = int(min(len(read), len(asv)) * (1 - identity) / identity + 1e-9)
        lost = (abs(len(read) - len(asv)) + overhang) // step + 2
        if kmers_found(read, asv, step) >= kmers - -(-8 // step) * edits - lost:
            return True
    return False


def edited(rng, seq, edits):
    """seq with ``edits`` mismatches, insertions or deletions inside it."""
    seq = list(seq)
    for _ in range(edits):
        k = int(rng.integers(1, len(seq) - 1))
        kind = rng.integers(3)
        if kind == 0:
            seq[k] = SWAP[seq[k]]
        elif kind == 1:
            seq.insert(k, "ACGT"[int(rng.integers(4))])
        else:
            del seq[k]
    return "".join(seq)


def chimeras_and_variants(asvs, rng, n=400):
    """Two-parent chimeras, reads with up to 7 edits and up to 8 bases of
    overhang, longer and shorter reads, random sequences."""
    reads = []
    for _ in range(n):
        a, b = rng.choice(len(asvs), 2, replace=False)
        cut = int(rng.integers(30, 220))
        reads.append(asvs[a][:cut] + asvs[b][cut:])  # a chimera
        seq = edited(rng, asvs[a], int(rng.integers(0, 8)))
        left, right = rng.integers(0, 5, size=2)
        reads.append(
            "".join(rng.choice(list("ACGT"), left)) + seq[: len(seq) - int(right)]
        )
    reads += ["".join(rng.choice(list("ACGT"), 253)) for _ in range(20)]
    reads += [asvs[0] + "ACGTACGTAC", asvs[1][:240], "N" + asvs[2][1:]]
    return reads


def distinct_seqs():
    """30 reference V4 sequences of 253 nt far apart, and 4 of 252."""
    return reference_seqs(600)[::20] + reference_seqs(4, length=252)


def test_the_kmer_count_by_hand_and_its_bound():
    """may_map against a by-hand count (every second 8-mer) on chimeras,
    edited reads, overhangs and random sequences, with the 8-mers every 1, 2,
    4 and 8 bases; every read within 7 edits of an ASV and at most 8 bases
    beyond the length difference out of the alignment passes (the bound it
    proves); most chimeras of distant sequences do not."""
    from gutlung_pipeline.denoise.mapping import kmer_index, may_map

    rng = np.random.default_rng(11)
    asvs = distinct_seqs()
    reads = chimeras_and_variants(asvs, rng)
    index = kmer_index(asvs)
    for step in (1, 4, 8):
        got = may_map([r.encode() for r in reads], index, identity=0.97, step=step)
        assert list(got) == [may_map_by_hand(r, asvs, step=step) for r in reads]
        assert all(got[1:800:2]), step
    got = may_map([r.encode() for r in reads], index, identity=0.97)
    want = [may_map_by_hand(r, asvs) for r in reads]
    assert list(got) == want
    # an edited read (odd positions up to 800) always passes: it is within
    # 7 edits, its overhang at most 4 + 4 bases
    assert all(got[1:800:2])
    chimeras = got[0:800:2]
    # most ruled out (0.56 kept: a breakpoint near an end leaves a read near
    # one parent)
    assert chimeras.mean() < 0.7
    assert not got[800:820].any()  # random sequences
    assert all(got[820:])  # longer, shorter, an N
    # in chunks of ASVs (as for thousands of them): the same answer
    chunked = may_map(
        [r.encode() for r in reads], kmer_index(asvs, chunk=7), identity=0.97
    )
    np.testing.assert_array_equal(chunked, got)


@needs_tools
def test_what_vsearch_places_is_never_ruled_out(tmp_path):
    """vsearch --usearch_global (as map_samples runs it) on chimeras and
    edited reads: every read it places passes the 8-mer count, and the
    table with the count is the table without it."""
    import subprocess

    from gutlung_pipeline.denoise.mapping import kmer_index, may_map

    rng = np.random.default_rng(5)
    asvs = distinct_seqs()
    reads = chimeras_and_variants(asvs, rng)
    (tmp_path / "asvs.fa").write_text(
        "".join(f">asv{k};size={100 - k}\n{s}\n" for k, s in enumerate(asvs))
    )
    path = write(
        tmp_path / "s1.fa", [("s1", f"r{k}", r, 1) for k, r in enumerate(reads)]
    )
    subprocess.run(
        ["vsearch", "--usearch_global", path, "--db", tmp_path / "asvs.fa"]
        + ["--id", "0.97", "--strand", "plus", "--maxrejects", "8"]
        + ["--qmask", "none", "--dbmask", "none", "--quiet"]
        + ["--userout", tmp_path / "hits.tsv", "--userfields", "query"],
        check=True,
    )
    placed = {int(line.split(";")[1][1:]) for line in open(tmp_path / "hits.tsv")}
    got = may_map([r.encode() for r in reads], kmer_index(asvs), identity=0.97)
    assert len(placed) > 300 and all(got[k] for k in placed)
    assert (~got).sum() > 150  # reads spared the search (178 of 823)
    with_count = map_samples([path], tmp_path / "asvs.fa", tmp_path / "a.tsv")
    without = map_samples(
        [path], tmp_path / "asvs.fa", tmp_path / "b.tsv", overhang=None
    )
    assert with_count["ruled_out"] == (~got).sum() and without["ruled_out"] == 0
    assert (tmp_path / "a.tsv").read_bytes() == (tmp_path / "b.tsv").read_bytes()


@needs_tools
@pytest.mark.parametrize(
    "files, placed_min, ruled_out_min",
    [
        ("dada2_extdata/sam*F.fastq.gz", 2000, 300),  # MiSeq SOP, 250 nt
        ("q2_dada2/sample_seqs_paired/*_R1_*.fastq.gz", 400, 400),  # 150 nt
        # Moving Pictures, 150 nt: the unplaced reads are all near a top
        # ASV, and none is ruled out (where the count saves nothing)
        ("q2_dada2/sample_seqs_single/*.fastq.gz", 800, 0),
    ],
)
def test_real_reads_vsearch_places_pass_the_kmer_count(
    tmp_path, files, placed_min, ruled_out_min
):
    """Real reads (DADA2's sam1F/sam2F, q2-dada2's two sets) against their
    100 most abundant uniques: every read vsearch places passes; of those
    it does not place, the share ruled out is what it is on real data
    (341 of 486, 442 of 512, 0 of 698)."""
    import glob
    import subprocess

    from gutlung_pipeline.denoise.mapping import kmer_index, may_map

    reads = []
    for path in sorted(glob.glob(str(REPO / "tests/data/real" / files))):
        with gzip.open(path, "rt") as handle:
            reads += [line.strip() for k, line in enumerate(handle) if k % 4 == 1]
    asvs = [s for s, _ in collections.Counter(reads).most_common(100)]
    (tmp_path / "asvs.fa").write_text(
        "".join(f">asv{k}\n{s}\n" for k, s in enumerate(asvs))
    )
    (tmp_path / "reads.fa").write_text(
        "".join(f">r{k}\n{s}\n" for k, s in enumerate(reads))
    )
    subprocess.run(
        ["vsearch", "--usearch_global", tmp_path / "reads.fa"]
        + ["--db", tmp_path / "asvs.fa", "--id", "0.97", "--strand", "plus"]
        + ["--maxrejects", "8", "--qmask", "none", "--dbmask", "none", "--quiet"]
        + ["--userout", tmp_path / "hits.tsv", "--userfields", "query"],
        check=True,
    )
    placed = {int(line.strip()[1:]) for line in open(tmp_path / "hits.tsv")}
    got = may_map([r.encode() for r in reads], kmer_index(asvs), identity=0.97)
    assert len(placed) > placed_min and all(got[k] for k in placed)
    assert (~got).sum() >= ruled_out_min


@needs_tools
def test_the_overhang_is_the_one_assumption(tmp_path):
    """A read whose first 80 bases are foreign and whose rest is A shifted:
    vsearch places it (identity over the aligned columns only). The default
    overhang (8 bases beyond the length difference) rules it out; the
    overhang given (200) or none sends it to vsearch, which places it."""
    a, b = reference_seqs(600)[0], reference_seqs(600)[300]
    rng = np.random.default_rng(1)
    read = "".join(rng.choice(list("ACGT"), 80)) + a[:-80]
    asvs = tmp_path / "asvs.fa"
    asvs.write_text(f">A\n{a}\n>B\n{b}\n")
    reads = write(tmp_path / "s1.fa", [("s1", "r1", read, 5)])
    placed = {}
    for overhang in (8, 200, None):
        out = tmp_path / f"o{overhang}.tsv"
        counts = map_samples([reads], asvs, out, overhang=overhang)
        placed[overhang] = read_otutab_samples(out)["s1"].to_dict()
        assert counts["ruled_out"] == (1 if overhang == 8 else 0), overhang
    assert placed == {
        8: {"A": 0, "B": 0},
        200: {"A": 5, "B": 0},
        None: {"A": 5, "B": 0},
    }
