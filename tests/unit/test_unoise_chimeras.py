"""UNOISE by length with indels counted, the samples' own candidates, and the
reference's part in chimera removal (real vsearch, known answers)."""

import hashlib

from conftest import REFERENCE, needs_tools

from gutlung_pipeline.denoise import add_candidates, remove_chimeras, unoise
from gutlung_pipeline.io import read_fasta

pytestmark = needs_tools


def seqs(n):
    """n distinct reference V4 sequences of 253 nt."""
    out = [s.upper() for s in read_fasta(REFERENCE).values() if len(s) == 253]
    return out[:n]


def write(path, records):
    path.write_text(
        "".join(f">{label};size={size}\n{seq}\n" for label, seq, size in records)
    )
    return path


def sizes(path):
    return {
        seq: int(label.split("size=")[1].rstrip(";"))
        for label, seq in read_fasta(path).items()
    }


def test_a_real_indel_variant_survives_and_an_indel_error_does_not(tmp_path):
    (a,) = seqs(1)
    variant = a[:100] + a[103:]  # a strain 3 nt shorter
    error = a[:50] + a[51:]  # one base lost in sequencing
    pooled = write(
        tmp_path / "p.fa", [("a", a, 1000), ("v", variant, 800), ("e", error, 9)]
    )
    # vsearch's own UNOISE counts mismatches only: both are absorbed
    counts = unoise(pooled, tmp_path / "all.fa", min_size=2, by_length=False)
    assert counts["asvs"] == 1 and list(sizes(tmp_path / "all.fa")) == [a]
    for search in ("exhaustive", "vsearch"):
        counts = unoise(pooled, tmp_path / "len.fa", min_size=2, search=search)
        got = sizes(tmp_path / "len.fa")
        assert counts == {"centroids": 3, "indel_absorbed": 1, "asvs": 2}, search
        # 9 <= 1000 / 2 ** (2 * 1 + 1): the error joins its parent; 800 > 1000 / 2**7
        assert got == {a: 1009, variant: 800}, search


def test_lengths_of_one_unique_and_small_uniques_skip_vsearch_alike(tmp_path):
    """The shortcuts (uniques under min_size left out before the split, a
    length of one unique its own centroid, one length with no search across
    lengths) give what vsearch gives on every length's whole bucket."""
    import subprocess

    a, b, c = seqs(3)
    longer = a[:100] + "GGG" + a[100:]  # a strain 3 nt longer
    sub = a[:120] + ("A" if a[120] != "A" else "C") + a[121:]  # a's 1-mismatch error
    records = [
        ("s=1;a", a, 900),
        ("s=1;b", b, 300),
        ("s=1;sub", sub, 5),  # absorbed into a: 5 <= 900 / 2 ** 3
        ("s=1;c", c, 2),  # under min_size: dropped
        ("s=1;long", longer, 200),  # the only unique of its length
        ("s=1;tiny", a + "TT", 3),  # a length of small uniques only
    ]
    pooled = write(tmp_path / "p.fa", records)
    got = unoise(pooled, tmp_path / "out.fa", min_size=4)  # exhaustive, in numpy
    assert unoise(pooled, tmp_path / "v.fa", min_size=4, search="vsearch") == got
    assert (tmp_path / "v.fa").read_bytes() == (tmp_path / "out.fa").read_bytes()
    # by hand with vsearch: every length's whole bucket, then across lengths
    expect = {}
    for length in sorted({len(s) for _, s, _ in records}):
        bucket = write(
            tmp_path / f"b{length}.fa", [r for r in records if len(r[1]) == length]
        )
        out = tmp_path / f"b{length}.out"
        subprocess.run(
            ["vsearch", "--cluster_unoise", str(bucket), "--sizein", "--sizeout"]
            + ["--minsize", "4", "--centroids", str(out), "--quiet"],
            check=True,
        )
        expect.update(sizes(out))
    assert {s.upper(): n for s, n in expect.items()} == {a: 905, b: 300, longer: 200}
    # 3 gap columns from a, 200 > 905 / 2 ** 7: kept across lengths
    assert sizes(tmp_path / "out.fa") == {a: 905, b: 300, longer: 200}
    assert got == {"centroids": 3, "indel_absorbed": 0, "asvs": 3}
    # one length: returned as UNOISE left it, most abundant first
    one = write(tmp_path / "one.fa", records[:4])
    assert unoise(one, tmp_path / "one.out", min_size=4)["asvs"] == 2
    assert list(sizes(tmp_path / "one.out").items()) == [(a, 905), (b, 300)]
    labels = list(read_fasta(tmp_path / "one.out"))
    assert labels == ["s=1;a;size=905", "s=1;b;size=300"]


def test_sample_candidates_join_with_pooled_sizes(tmp_path):
    a, b, c = seqs(3)
    centroids = write(tmp_path / "c.fa", [("a", a, 500)])
    pooled = write(tmp_path / "p.fa", [("a", a, 500), ("b", b, 40), ("c", c, 7)])
    s1 = write(tmp_path / "s1.fa", [("a", a, 90), ("b", b, 12)])
    s2 = write(tmp_path / "s2.fa", [("b", b, 20)])
    counts = add_candidates(centroids, pooled, [s1, s2], tmp_path / "out.fa")
    assert counts == {"pooled": 1, "added": 1, "candidates": 2}
    out = read_fasta(tmp_path / "out.fa")
    assert [s.upper() for s in out.values()] == [a, b]
    assert sizes(tmp_path / "out.fa") == {
        a: 500,
        b: 40,
    }  # pooled size, not the sample's


def test_reference_rescues_known_sequences_and_catches_rare_parents(tmp_path):
    a, b, c, d = seqs(4)
    known = a[:120] + b[120:]  # looks like a chimera, but is a known organism
    rare = c[:110] + d[110:]  # a chimera whose parents are rare here
    reference = tmp_path / "ref.fa"
    reference.write_text(
        "".join(f">r{i}\n{s}\n" for i, s in enumerate([a, b, c, d, known]))
    )
    denoised = write(
        tmp_path / "u.fa",
        [
            ("a", a, 2000),
            ("b", b, 1500),
            ("k", known, 40),
            ("r", rare, 30),
            ("c", c, 20),
            ("d", d, 15),
        ],
    )
    alone = remove_chimeras(denoised, tmp_path / "n1.fa")
    kept = set(read_fasta(tmp_path / "n1.fa").values())
    assert known not in kept and rare in kept  # de novo alone: both wrong
    counts = remove_chimeras(denoised, tmp_path / "n2.fa", reference=reference)
    out = read_fasta(tmp_path / "n2.fa")
    assert set(out.values()) == {a, b, known, c, d}
    assert counts["rescued"] == 1 and counts["reference_chimeras"] == 1
    assert counts["asvs"] == 5 and alone["chimeras"] >= 1
    # MD5 labels, most abundant first
    assert list(out.values()) == [a, b, known, c, d]
    assert all(hashlib.md5(s.encode()).hexdigest() == k for k, s in out.items())


def test_one_search_counts_every_sample(tmp_path):
    from gutlung_pipeline.denoise import map_samples, read_otutab_samples

    a, b = seqs(2)
    near_a = "T" + a[1:] if a[0] != "T" else "G" + a[1:]  # 1 mismatch: maps to a
    asvs = tmp_path / "asvs.fa"
    asvs.write_text(f">A\n{a}\n>B\n{b}\n")
    s1 = write(
        tmp_path / "s1.fa", [("sample=s1;r1", a, 5), ("sample=s1;r2", near_a, 2)]
    )
    s2 = write(
        tmp_path / "s2.fa", [("sample=s2;r1", b, 7), ("sample=s2;r2", "ACGT" * 60, 3)]
    )
    map_samples([s1, s2], asvs, tmp_path / "otu.tsv", threads=2)
    got = read_otutab_samples(tmp_path / "otu.tsv")
    assert got["s1"].to_dict() == {"A": 7, "B": 0}
    assert got["s2"].to_dict() == {"A": 0, "B": 7}  # the unrelated read is not counted


SWAP = {"A": "C", "C": "G", "G": "T", "T": "A"}


def two_strains_and_their_chimera():
    """a (253 nt); b, a second strain 2 nt shorter near the start with 6
    substitutions late on; their chimera: a's start, b's end (253 nt)."""
    (a,) = seqs(1)
    b = a[:40] + a[42:]
    for k in (150, 170, 190, 210, 230, 245):
        b = b[:k] + SWAP[b[k]] + b[k + 1 :]
    return a, b, a[:130] + b[128:]


def test_exact_bimeras_across_lengths():
    """The start of one parent joined to the end of another, parents of
    different lengths, both at least ``fold`` times as abundant."""
    from gutlung_pipeline.denoise import exact_bimeras

    a, b, chimera = two_strains_and_their_chimera()
    variant = a[:100] + SWAP[a[100]] + a[101:]  # a real SNP, in neither parent
    records = [
        ("a;size=4000", a),
        ("b;size=3300", b),
        ("c;size=100", chimera),
        ("v;size=100", variant),
    ]
    assert len(chimera) == len(a) != len(b)
    assert exact_bimeras(records, fold=32) == [("c;size=100", chimera)]
    # a parent under the fold: not called (3300 < 34 x 100)
    assert exact_bimeras(records, fold=34) == []
    # one more difference at the junction, in neither parent: not a bimera
    mutant = chimera[:129] + SWAP[chimera[129]] + chimera[130:]
    assert exact_bimeras([*records[:2], ("m;size=10", mutant)], fold=32) == []
    # the start of one sequence alone (a shorter read of a): not two parents
    assert exact_bimeras([*records[:2], ("s;size=10", a[:-3])], fold=32) == []


def test_exact_bimeras_the_reference_keeps_a_known_one(tmp_path):
    a, b, chimera = two_strains_and_their_chimera()
    denoised = write(
        tmp_path / "u.fa", [("a", a, 4000), ("b", b, 3300), ("c", chimera, 60)]
    )
    counts = remove_chimeras(denoised, tmp_path / "n.fa", bimera_fold=32)
    assert set(read_fasta(tmp_path / "n.fa").values()) == {a, b}
    assert counts["asvs"] == 2 and counts["chimeras"] + counts["bimeras"] == 1
    reference = tmp_path / "ref.fa"
    reference.write_text(f">a\n{a}\n>b\n{b}\n>c\n{chimera}\n")
    counts = remove_chimeras(
        denoised, tmp_path / "r.fa", bimera_fold=32, reference=reference
    )
    assert set(read_fasta(tmp_path / "r.fa").values()) == {a, b, chimera}
    assert counts["rescued"] == 1


def test_rare_one_mismatch_neighbours_are_dropped():
    """Two reads one mismatch from a larger ASV: an error (dropped); two reads
    two mismatches away, or three reads one away, or another length: kept."""
    from gutlung_pipeline.denoise import drop_rare_neighbours

    base = "ACGTACGTACGTACGTACGT"
    one = "T" + base[1:]  # 1 mismatch
    two = "TT" + base[2:]  # 2 mismatches from base, 1 from `one`
    records = [
        ("a;size=10", base),
        ("b;size=2", one),
        ("c;size=2", "GG" + base[2:]),
        ("d;size=3", base[:-1] + "A"),
        ("e;size=2", base + "A"),
        ("f;size=1", two),
    ]
    kept, dropped = drop_rare_neighbours(records, min_size=3)
    # b: 2 reads, 1 from a -> out; f: 1 read, 1 from b (larger) -> out
    assert [label for label, _ in kept] == [
        "a;size=10",
        "c;size=2",
        "d;size=3",
        "e;size=2",
    ]
    assert dropped == 2
    assert drop_rare_neighbours(records, min_size=0) == (records, 0)
    # equal sizes: neither is "larger", both stay
    twins = [("x;size=2", base), ("y;size=2", one)]
    assert drop_rare_neighbours(twins, min_size=3) == (twins, 0)


def test_the_largest_length_on_every_thread_gives_the_same_centroids(tmp_path):
    """The most populous length runs on every thread: 2,000 uniques of 30
    strains (errors and chimeras among them) and a second length give the
    same centroids, byte for byte, on 1, 2 and 4 threads."""

    records = _synthetic_uniques()
    strains = seqs(2)
    records += [("long", strains[0] + "TTT", 700), ("long2", strains[1] + "TTT", 9)]
    pooled = write(tmp_path / "p.fa", records)
    outs = []
    for threads in (1, 2, 4):
        out = tmp_path / f"t{threads}.fa"
        counts = unoise(pooled, out, min_size=2, threads=threads, search="vsearch")
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert 30 < counts["asvs"] < 1500  # many absorbed (1,288 of 2,002 kept)
    # the exhaustive search in numpy: vsearch's centroids and sizes
    assert unoise(pooled, tmp_path / "n.fa", min_size=2, threads=2) == counts
    assert sizes(tmp_path / "n.fa") == sizes(tmp_path / "t1.fa")


def test_real_reads_give_the_same_centroids_on_any_number_of_threads(tmp_path):
    """The same check on real MiSeq reads: q2-dada2's ten Moving Pictures
    pairs and DADA2's two samples, merged, filtered and pooled (1,255
    uniques, 1,168 of them 253 nt); every unique (min_size 1) and the
    workflow's pooled floor (2) give the same centroids on 1, 2 and 4
    threads, and the exhaustive search in numpy (:func:`sample_unoise`, and
    :func:`unoise` by default) the same centroids (802 at min_size 1), the sizes of two of them apart: one
    unique within reach of both joins the nearest here and vsearch's first
    accepted there."""
    import glob

    from conftest import REAL

    from gutlung_pipeline.denoise import pool_uniques
    from gutlung_pipeline.reads import filter_dereplicate, merge_pairs

    paired = REAL / "q2_dada2" / "sample_seqs_paired"
    pairs = [
        (r1, r1.replace("_R1_", "_R2_"))
        for r1 in sorted(glob.glob(str(paired / "*_R1_*.fastq.gz")))
    ]
    pairs += [
        (
            REAL / f"dada2_extdata/sam{k}F.fastq.gz",
            REAL / f"dada2_extdata/sam{k}R.fastq.gz",
        )
        for k in (1, 2)
    ]
    uniques = []
    for k, (r1, r2) in enumerate(pairs):
        merged = tmp_path / f"m{k}.fq"
        merge_pairs(f"s{k}", r1, r2, merged)
        uniques.append(tmp_path / f"u{k}.fa")
        filter_dereplicate(
            f"s{k}", merged, derep=uniques[-1], mapping=tmp_path / "x.fa", max_ee=2.0
        )
    pool_uniques(uniques, tmp_path / "pool.fa")
    assert len(read_fasta(tmp_path / "pool.fa")) == 1255
    for min_size in (1, 2):
        outs, asvs = set(), set()
        for threads in (1, 2, 4):
            out = tmp_path / f"o{min_size}_{threads}.fa"
            asvs.add(
                unoise(
                    tmp_path / "pool.fa",
                    out,
                    min_size=min_size,
                    threads=threads,
                    search="vsearch",
                )["asvs"]
            )
            outs.add(out.read_bytes())
        assert len(outs) == 1, min_size
        assert len(asvs) == 1 and 20 < asvs.pop() < 1255
        # a sample's own UNOISE in numpy: the same centroids and sizes
        from gutlung_pipeline.denoise import sample_unoise

        # and the pooled UNOISE's exhaustive search in numpy
        for run in (sample_unoise, unoise):
            numpy_out = tmp_path / f"n{min_size}.fa"
            run(tmp_path / "pool.fa", numpy_out, min_size=min_size)
            mine, theirs = sizes(numpy_out), sizes(out)
            assert set(mine) == set(theirs), (run, min_size)
            # a unique within reach of two centroids: the nearest takes it
            # here, the first vsearch's word search accepts there (1 of 1,255)
            assert sum(mine.values()) == sum(theirs.values())
            assert sum(mine[seq] != theirs[seq] for seq in mine) <= 2, min_size


def _synthetic_uniques(n=2000, seed=7):
    """n uniques of 30 strains with 1-3 substitutions, a fifth chimeric."""
    import numpy as np

    rng = np.random.default_rng(seed)
    strains = seqs(30)
    records = [
        (f"s{k}", strain, int(5000 / (k + 1))) for k, strain in enumerate(strains)
    ]
    seen = {s for _, s, _ in records}
    while len(records) < n:
        a, b = rng.choice(len(strains), 2, replace=False)
        seq = list(
            strains[a][:120] + strains[b][120:] if rng.random() < 0.2 else strains[a]
        )
        for pos in rng.choice(253, rng.integers(1, 4), replace=False):
            seq[pos] = "ACGT"[(("ACGT".index(seq[pos])) + rng.integers(1, 4)) % 4]
        seq = "".join(seq)
        if seq not in seen:
            seen.add(seq)
            records.append((f"u{len(records)}", seq, int(rng.integers(2, 40))))
    return records


def test_a_samples_own_unoise_in_numpy_gives_vsearchs_centroids(tmp_path):
    """sample_unoise (numpy, edlib) against unoise (vsearch) on 2,000 uniques
    of 30 strains with errors and chimeras and two more lengths (an indel
    error and a real indel variant): the same centroids with the same sizes,
    at min_size 2 and 8, in blocks of 7 or 256 uniques."""
    from gutlung_pipeline.denoise import sample_unoise

    records = _synthetic_uniques()
    a = records[0][1]
    records += [
        ("indel_error", a[:60] + a[61:], 30),  # 30 <= 5000 / 2 ** 3: absorbed
        ("variant", a[:100] + a[103:], 900),  # 3 gap columns: 900 > 5000 / 2 ** 7
        ("variant_error", (a[:100] + a[103:])[:-1] + "A", 3),
    ]
    uniques = write(tmp_path / "u.fa", records)
    for min_size in (2, 8):
        want = unoise(uniques, tmp_path / "v.fa", min_size=min_size, search="vsearch")
        for block in (7, 256):
            out = tmp_path / f"n{min_size}_{block}.fa"
            got = sample_unoise(uniques, out, min_size=min_size, block=block)
            assert got == want, (min_size, block)
            assert sizes(out) == sizes(tmp_path / "v.fa"), (min_size, block)
        assert want["indel_absorbed"] >= 1 and 30 < want["asvs"] < 1500
    kept = sizes(tmp_path / "n2_256.fa")
    assert a[:60] + a[61:] not in kept and a[:100] + a[103:] in kept


def test_a_samples_own_unoise_by_hand(tmp_path):
    """Known answers: the nearest centroid takes the reads (a unique one
    mismatch from b and two from a goes to b although a is larger), an
    indel error joins its parent across lengths, a real indel variant and a
    unique too abundant for its distance stay."""
    from gutlung_pipeline.denoise import sample_unoise

    (a,) = seqs(1)

    def mutate(seq, positions):
        return "".join(
            ("A" if c != "A" else "C") if k in positions else c
            for k, c in enumerate(seq)
        )

    b = mutate(a, {10, 20, 30})  # 3 from a: 400 > 2000 / 2 ** 7, a centroid
    near_b = mutate(a, {10, 20})  # 1 from b (<= 400 / 8), 2 from a
    kept_1 = mutate(a, {200})  # 1 from a, 300 > 2000 / 2 ** 3: a centroid
    records = [
        ("a", a, 2000),
        ("b", b, 400),
        ("near_b", near_b, 50),
        ("kept_1", kept_1, 300),
        ("error", a[:50] + a[51:], 20),  # one base lost: 20 <= 2000 / 8
        ("strain", a[:100] + a[103:], 100),  # 3 gap columns: 100 > 2000 / 2 ** 7
        ("small", mutate(a, {5}), 3),  # under min_size
    ]
    uniques = write(tmp_path / "u.fa", records)
    got = sample_unoise(uniques, tmp_path / "o.fa", min_size=4)
    assert got == {"centroids": 5, "indel_absorbed": 1, "asvs": 4}
    assert sizes(tmp_path / "o.fa") == {
        a: 2020,
        b: 450,
        kept_1: 300,
        a[:100] + a[103:]: 100,
    }
    labels = list(read_fasta(tmp_path / "o.fa"))
    assert labels == ["a;size=2020", "b;size=450", "kept_1;size=300", "strain;size=100"]
    # vsearch agrees
    assert unoise(uniques, tmp_path / "v.fa", min_size=4, search="vsearch") == got
    assert sizes(tmp_path / "v.fa") == sizes(tmp_path / "o.fa")


def test_a_samples_own_unoise_with_an_n_goes_through_vsearch(tmp_path):
    """A unique with a base other than ACGT: vsearch's answer, byte for byte."""
    from gutlung_pipeline.denoise import sample_unoise

    a, b = seqs(2)
    records = [("a", a, 500), ("b", b, 90), ("n", a[:40] + "N" + a[41:], 12)]
    uniques = write(tmp_path / "u.fa", records)
    got = sample_unoise(uniques, tmp_path / "o.fa", min_size=4)
    want = unoise(uniques, tmp_path / "v.fa", min_size=4, search="vsearch")
    assert got == want
    assert (tmp_path / "o.fa").read_bytes() == (tmp_path / "v.fa").read_bytes()
