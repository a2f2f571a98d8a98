using AlignStream.Alignment.Bandit;

namespace AlignStream.Alignment.Tests;

public sealed class BanditTests
{
    private const double Tol = TestSupport.VectorTolerance;

    [Fact]
    public void LinUcb_steps_match_appendix_A6()
    {
        var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 2, Dimension = 2, Alpha = 0.1 });

        var c1 = bandit.Select("b1", [1, 0]);
        Assert.Equal(0, c1.Arm);
        Assert.Equal([0.1, 0.1], c1.Ucb, (a, b) => Math.Abs(a - b) < Tol);
        var u1 = bandit.Feedback("b1", 0.7);
        Assert.Equal(-0.7, u1.Reward, Tol);
        Assert.Equal([2.0, 0, 0, 1], bandit.State.A[0]);
        Assert.Equal([-0.7, 0], bandit.State.B[0], (a, b) => Math.Abs(a - b) < Tol);

        var c2 = bandit.Select("b2", [1, 0]);
        Assert.Equal(-0.279289, c2.Ucb[0], Tol);
        Assert.Equal(0.1, c2.Ucb[1], Tol);
        Assert.Equal(1, c2.Arm);
        Assert.Equal(1.0, bandit.Feedback("b2", 0.5).Reward, Tol);

        var c3 = bandit.Select("b3", [0.6, 0.8]);
        Assert.Equal(-0.119446, c3.Ucb[0], Tol);
        Assert.Equal(0.390554, c3.Ucb[1], Tol);
        Assert.Equal(1, c3.Arm);
        Assert.Equal(0.5, bandit.Feedback("b3", 0.6).Reward, Tol);
        Assert.Equal([2.36, 0.48, 0.48, 1.64], bandit.State.A[1], (a, b) => Math.Abs(a - b) < Tol);
        Assert.Equal([1.3, 0.4], bandit.State.B[1], (a, b) => Math.Abs(a - b) < Tol);
        Assert.Equal(-0.66, Percentile.Linear(bandit.State.History, 20), Tol);
        Assert.Equal(-0.54, Percentile.Linear(bandit.State.History, 80), Tol);
    }

    [Fact]
    public void Sherman_Morrison_inverse_tracks_full_inversion()
    {
        const int d = 6;
        var rng = new Random(99);
        var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 3, Dimension = d });
        for (var step = 0; step < 200; step++)
        {
            var x = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var choice = bandit.Score(x);
            bandit.Observe(choice.Arm, x, rng.NextDouble());
        }
        for (var k = 0; k < 3; k++)
        {
            var full = Matrices.Invert(bandit.State.A[k], d);
            var sm = bandit.InverseOf(k).ToArray();
            for (var i = 0; i < full.Length; i++)
            {
                Assert.Equal(full[i], sm[i], 1e-9);
            }
        }
    }

    [Fact]
    public void Inversion_pivots_and_gives_the_identity_back()
    {
        const int d = 40;
        var rng = new Random(5);
        var m = new double[d * d];
        for (var i = 0; i < m.Length; i++)
        {
            m[i] = rng.NextDouble() - 0.5;
        }
        // A zero leading pivot forces a row swap.
        m[0] = 0;
        var inv = Matrices.Invert(m, d);
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                var dot = 0.0;
                for (var k = 0; k < d; k++)
                {
                    dot += m[(i * d) + k] * inv[(k * d) + j];
                }
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-9);
            }
        }
        Assert.Throws<InvalidOperationException>(() => Matrices.Invert(new double[4], 2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_low_rank_update_of_the_inverse_matches_a_full_inversion(int rank)
    {
        const int d = 48;
        var rng = new Random(rank);
        var a = new double[d * d];
        for (var i = 0; i < d; i++)
        {
            a[(i * d) + i] = 1.0;
        }
        // A history of pulls, then `rank` more, as LinUCB feedback adds them: x·xᵀ with unit x.
        double[] Pull(double[] m)
        {
            var x = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var norm = Math.Sqrt(x.Sum(v => v * v));
            var next = (double[])m.Clone();
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    next[(i * d) + j] += x[i] / norm * (x[j] / norm);
                }
            }
            return next;
        }
        for (var t = 0; t < 200; t++)
        {
            a = Pull(a);
        }
        var after = a;
        for (var t = 0; t < rank; t++)
        {
            after = Pull(after);
        }
        var updated = Matrices.UpdateInverse(Matrices.Invert(a, d), a, after, d, maxRank: rank);
        Assert.NotNull(updated);
        var full = Matrices.Invert(after, d);
        for (var i = 0; i < full.Length; i++)
        {
            Assert.Equal(full[i], updated[i], 1e-10);
        }
        // More pulls than allowed, or a difference that is not a sum of x·xᵀ: the caller must invert.
        Assert.Null(Matrices.UpdateInverse(Matrices.Invert(a, d), a, after, d, maxRank: rank - 1));
        Assert.Null(Matrices.UpdateInverse(Matrices.Invert(after, d), after, a, d, maxRank: 8));
        var skew = (double[])after.Clone();
        skew[1] += 0.25;
        Assert.Null(Matrices.UpdateInverse(Matrices.Invert(a, d), a, skew, d, maxRank: 8));
    }

    [Fact]
    public void Reused_inverses_score_like_a_full_rebuild()
    {
        const int d = 5;
        var rng = new Random(11);
        var options = new LinUcbOptions { Arms = 3, Dimension = d };
        var live = new LinUcbBandit(options);
        for (var step = 0; step < 60; step++)
        {
            var x = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            live.Observe(step % 3, x, rng.NextDouble());
        }
        var earlier = new LinUcbBandit(options, live.State.Clone());
        // One more update to arm 2 only: arms 0 and 1 keep their inverses, arm 2 is inverted afresh.
        live.Observe(2, [0.3, -0.1, 0.2, 0.4, -0.5], 0.25);
        var reused = 0;
        var rebuilt = new LinUcbBandit(options, live.State.Clone(), arm =>
        {
            if (earlier.State.A[arm].AsSpan().SequenceEqual(live.State.A[arm]))
            {
                reused++;
                return earlier.InverseOf(arm).ToArray();
            }
            return null;
        });
        var fresh = new LinUcbBandit(options, live.State.Clone());
        Assert.Equal(2, reused);
        for (var trial = 0; trial < 10; trial++)
        {
            var x = Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var a = rebuilt.Score(x);
            var b = fresh.Score(x);
            Assert.Equal(b.Arm, a.Arm);
            Assert.Equal(b.Ucb, a.Ucb, (u, v) => Math.Abs(u - v) < 1e-9);
        }
        Assert.Throws<ArgumentException>(() => new LinUcbBandit(options, live.State.Clone(), _ => new double[3]));
    }

    [Fact]
    public void Delayed_feedback_in_any_order_gives_the_same_A_and_b()
    {
        const int d = 4;
        var rng = new Random(1234);
        var contexts = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.3).ToArray()).ToArray();
        var losses = contexts.Select(_ => rng.NextDouble()).ToArray();

        BanditState Run(int[] order, RewardNormalization normalization)
        {
            var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 3, Dimension = d, Normalization = normalization });
            // All selections happen first (same A, b → same arms), feedback then arrives in the given order.
            for (var i = 0; i < contexts.Length; i++)
            {
                bandit.Select($"batch-{i}", contexts[i]);
            }
            foreach (var i in order)
            {
                bandit.Feedback($"batch-{i}", losses[i]);
            }
            Assert.Empty(bandit.Pending);
            return bandit.State;
        }

        var inOrder = Enumerable.Range(0, contexts.Length).ToArray();
        var reversed = inOrder.Reverse().ToArray();
        var shuffled = inOrder.OrderBy(_ => rng.Next()).ToArray();
        var reference = Run(inOrder, RewardNormalization.None);
        foreach (var order in new[] { reversed, shuffled })
        {
            var other = Run(order, RewardNormalization.None);
            AssertClose(reference.A, other.A);
            AssertClose(reference.B, other.B);
            Assert.Equal(reference.Counts, other.Counts);
            // With quantile normalisation r̃ depends on arrival order (§3.6), but A never does.
            AssertClose(Run(inOrder, RewardNormalization.Quantile).A, Run(order, RewardNormalization.Quantile).A);
        }
    }

    [Fact]
    public void Replicas_sharing_deltas_converge_to_one_state()
    {
        var options = new LinUcbOptions { Arms = 2, Dimension = 3 };
        var r1 = new LinUcbBandit(options);
        var r2 = new LinUcbBandit(options);
        var updates = new List<BanditUpdate>
        {
            r1.PrepareUpdate(0, r1.PrepareContext([1, 2, 3]), 0.4),
            r2.PrepareUpdate(1, r2.PrepareContext([0, 1, 0]), 0.9),
            r1.PrepareUpdate(1, r1.PrepareContext([3, 0, 1]), 0.2),
        };
        // The store applies additive deltas; replicas see them in different orders.
        var store1 = BanditState.Create(2, 3);
        var store2 = BanditState.Create(2, 3);
        foreach (var u in updates)
        {
            store1.Apply(u);
        }
        foreach (var u in Enumerable.Reverse(updates))
        {
            store2.Apply(u);
        }
        AssertClose(store1.A, store2.A);
        AssertClose(store1.B, store2.B);

        // Deltas as a store keeps them (no identity prior) rebuild the same state.
        var sums = new Dictionary<int, ArmSums>();
        foreach (var u in updates)
        {
            var prev = sums.GetValueOrDefault(u.Arm) ?? new ArmSums(new double[9], new double[3], 0);
            sums[u.Arm] = new ArmSums(prev.SumOuter.Zip(u.DeltaA(), (a, b) => a + b).ToArray(), prev.SumRewardContext.Zip(u.DeltaB(), (a, b) => a + b).ToArray(), prev.Pulls + 1);
        }
        var rebuilt = BanditState.FromSums(2, 3, sums);
        AssertClose(store1.A, rebuilt.A);
        AssertClose(store1.B, rebuilt.B);
        r1.Refresh(rebuilt);
        Assert.Equal(r1.Score([1, 1, 1]).Ucb, new LinUcbBandit(options, store2).Score([1, 1, 1]).Ucb, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void State_round_trips_through_json_and_bytes()
    {
        var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 2, Dimension = 2 });
        bandit.Observe(1, [0.3, -0.4], 0.25);
        bandit.Observe(0, [1, 1], 0.5);
        var json = BanditState.FromJson(bandit.State.ToJson());
        var bytes = BanditState.FromBytes(bandit.State.ToBytes());
        foreach (var copy in new[] { json, bytes })
        {
            AssertClose(bandit.State.A, copy.A);
            AssertClose(bandit.State.B, copy.B);
            Assert.Equal(bandit.State.Counts, copy.Counts);
            Assert.Equal(bandit.State.History, copy.History);
        }
        Assert.Throws<FormatException>(() => BanditState.FromBytes([1, 2, 3, 4, 5]));
    }

    [Fact]
    public void Contexts_are_normalised_and_bad_feedback_is_explained()
    {
        var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 2, Dimension = 2 });
        Assert.Equal([0.6, 0.8], bandit.PrepareContext([3, 4]), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Contains("batch 'nope'", Assert.Throws<KeyNotFoundException>(() => bandit.Feedback("nope", 1)).Message, StringComparison.Ordinal);
        bandit.Select("x", [1, 0]);
        Assert.Throws<InvalidOperationException>(() => bandit.Select("x", [1, 0]));
        Assert.Throws<ArgumentException>(() => bandit.Feedback("x", double.NaN));
        Assert.Contains("Bandit.Arms", Assert.Throws<ArgumentOutOfRangeException>(() => new LinUcbBandit(new LinUcbOptions { Dimension = 2 })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equal_quantiles_use_the_midpoint_guard()
    {
        var bandit = new LinUcbBandit(new LinUcbOptions { Arms = 1, Dimension = 1 });
        bandit.Observe(0, [1], 0.5);
        Assert.Equal(0.5, bandit.Observe(0, [1], 0.5).Reward);
    }

    [Fact]
    public void Random_projection_is_seeded_linear_and_roughly_norm_preserving()
    {
        var p1 = new RandomProjection(512, 128, seed: 9);
        var p2 = new RandomProjection(512, 128, seed: 9);
        var rng = new Random(4);
        var x = Enumerable.Range(0, 512).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var y = Enumerable.Range(0, 512).Select(_ => rng.NextDouble() - 0.5).ToArray();
        Assert.Equal(p1.Project(x), p2.Project(x));
        var sum = p1.Project(x.Zip(y, (a, b) => a + (2 * b)).ToArray());
        var parts = p1.Project(x).Zip(p1.Project(y), (a, b) => a + (2 * b));
        Assert.Equal(sum, parts, (a, b) => Math.Abs(a - b) < 1e-9);
        // E‖Px‖² = ‖x‖²; with d' = 128 the ratio stays well inside [0.5, 1.5].
        var ratio = Matrices.Dot(p1.Project(x), p1.Project(x)) / Matrices.Dot(x, x);
        Assert.InRange(ratio, 0.5, 1.5);
    }

    [Fact]
    public void Standalone_normaliser_matches_the_worked_example()
    {
        Assert.Equal(-0.7, QuantileRewardNormalizer.Normalize([], -0.7));
        Assert.Equal(1.0, QuantileRewardNormalizer.Normalize([-0.7], -0.5));
        Assert.Equal(0.5, QuantileRewardNormalizer.Normalize([-0.7, -0.5], -0.6), 1e-12);
        Assert.Equal(0.0, QuantileRewardNormalizer.Normalize([-0.7, -0.5], -0.9));
    }

    private static void AssertClose(double[][] expected, double[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var k = 0; k < expected.Length; k++)
        {
            Assert.Equal(expected[k].Length, actual[k].Length);
            for (var i = 0; i < expected[k].Length; i++)
            {
                Assert.Equal(expected[k][i], actual[k][i], 1e-12);
            }
        }
    }
}
