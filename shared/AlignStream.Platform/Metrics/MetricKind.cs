namespace AlignStream.Platform.Metrics;

/// <summary>The Prometheus TYPE an instrument is exposed as, and how its measurements aggregate.</summary>
internal enum MetricKind
{
    /// <summary>Synchronous counter: measurements are added.</summary>
    Counter,

    /// <summary>Observable counter: each observation is the cumulative value.</summary>
    ObservedCounter,

    /// <summary>UpDownCounter: measurements are added, exposed as a gauge.</summary>
    SummingGauge,

    /// <summary>Gauge, ObservableGauge, ObservableUpDownCounter: the last value wins.</summary>
    LastValueGauge,

    /// <summary>Histogram with explicit bucket upper bounds.</summary>
    Histogram,
}
