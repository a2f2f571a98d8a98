namespace AlignStream.Platform.Metrics;

/// <summary>
/// Every meter and instrument name of AlignStream, in one place so dashboards, alerts and code agree.
/// </summary>
/// <remarks>
/// Names are Prometheus snake_case base names. The exposition appends the rest, so do not repeat it here:
/// counters get <c>_total</c>, and the instrument's unit becomes a suffix (<c>s</c> → <c>_seconds</c>,
/// <c>By</c> → <c>_bytes</c>; annotation units such as <c>{record}</c> add nothing). Prefer base units
/// (seconds, bytes). Add a nested class per area; keep names stable once dashboards use them.
/// </remarks>
public static class MetricNames
{
    /// <summary>Meter names. The exposition listens to every meter whose name starts with <see cref="Prefix"/>.</summary>
    public static class Meters
    {
        /// <summary>Common prefix of every AlignStream meter.</summary>
        public const string Prefix = "AlignStream";

        /// <summary>Platform library: state store, control plane, hosting.</summary>
        public const string Platform = "AlignStream.Platform";

        /// <summary>Kafka producer, consume loops, dead-letter topic.</summary>
        public const string Kafka = "AlignStream.Kafka";

        /// <summary>Generator service.</summary>
        public const string Generator = "AlignStream.Generator";

        /// <summary>Scorer service.</summary>
        public const string Scorer = "AlignStream.Scorer";

        /// <summary>Trainer service.</summary>
        public const string Trainer = "AlignStream.Trainer";
    }

    /// <summary>State store (Redis or in-memory).</summary>
    public static class State
    {
        /// <summary>Counter of store operations; labels: operation, outcome.</summary>
        public const string Operations = "align_state_operations";

        /// <summary>Histogram of store operation latency, unit s; label: operation.</summary>
        public const string OperationDuration = "align_state_operation_duration";

        /// <summary>Counter of atomic bandit statistic updates; label: arm.</summary>
        public const string BanditUpdates = "align_state_bandit_updates";

        /// <summary>Counter of idempotency claims; label: outcome (claimed|duplicate).</summary>
        public const string IdempotencyClaims = "align_state_idempotency_claims";
    }

    /// <summary>Control plane (MassTransit).</summary>
    public static class Bus
    {
        /// <summary>Counter of control-plane messages published; label: message_type.</summary>
        public const string Published = "align_bus_published_messages";

        /// <summary>Counter of control-plane messages consumed; labels: message_type, outcome.</summary>
        public const string Consumed = "align_bus_consumed_messages";
    }

    /// <summary>Process hosting: build info and health.</summary>
    public static class Host
    {
        /// <summary>Gauge that is 1, labelled with service and version.</summary>
        public const string Info = "align_host_info";

        /// <summary>Counter of /metrics scrapes served.</summary>
        public const string Scrapes = "align_host_metrics_scrapes";

        /// <summary>Gauge of process uptime, unit s.</summary>
        public const string Uptime = "align_host_uptime";

        /// <summary>Counter of CPU seconds the whole process used (all threads, user and system), unit s.</summary>
        public const string ProcessCpu = "align_host_process_cpu";
    }

    /// <summary>Generator service (meter <see cref="Meters.Generator"/>).</summary>
    public static class Generator
    {
        /// <summary>Counter of prompts taken from Kafka; label outcome (generated|duplicate|rejected).</summary>
        public const string PromptsConsumed = "align_generator_prompts_consumed";

        /// <summary>Counter of prompts sent to the dead-letter topic; label reason (too_long|unknown_task|empty|schema|missing_id).</summary>
        public const string PromptsRejected = "align_generator_prompts_rejected";

        /// <summary>Counter of candidates sampled; label finish_reason (stop|length).</summary>
        public const string CandidatesGenerated = "align_generator_candidates_generated";

        /// <summary>Counter of candidate sets published to the candidates topic.</summary>
        public const string CandidateSetsPublished = "align_generator_candidate_sets_published";

        /// <summary>Counter of tokens sampled.</summary>
        public const string TokensGenerated = "align_generator_tokens_generated";

        /// <summary>Gauge of tokens sampled per second over the last second of decoding.</summary>
        public const string TokensPerSecond = "align_generator_tokens_per_second";

        /// <summary>Histogram of time from a prompt's submission to the decode batch to its candidate set being acknowledged, unit s.</summary>
        public const string GenerationDuration = "align_generator_generation_duration";

        /// <summary>Histogram of one engine decode step (prefill chunks and one token per running sequence), unit s.</summary>
        public const string DecodeStepDuration = "align_generator_decode_step_duration";

        /// <summary>Histogram of the pause between two consecutive decode steps while sequences are running, unit s; label swap (true when a weight swap overlapped it).</summary>
        public const string DecodeStepGap = "align_generator_decode_step_gap";

        /// <summary>Counter of CPU seconds spent in engine work (decode steps, prompt embeddings, sampling), unit s.</summary>
        public const string EngineCpu = "align_generator_engine_cpu";

        /// <summary>Gauge of the longest pause between two decode steps since start, unit s (goal: below one step during a swap).</summary>
        public const string DecodeStepGapMax = "align_generator_decode_step_gap_max";

        /// <summary>Histogram of the share of decode slots holding a sequence at each step (0..1).</summary>
        public const string DecodeBatchOccupancy = "align_generator_decode_batch_occupancy";

        /// <summary>Gauge of slots holding a sequence now.</summary>
        public const string ActiveSequences = "align_generator_active_sequences";

        /// <summary>Gauge of sequences waiting for a free slot.</summary>
        public const string WaitingSequences = "align_generator_waiting_sequences";

        /// <summary>Gauge of the policy version being served.</summary>
        public const string PolicyVersion = "align_generator_policy_version";

        /// <summary>Counter of weight loads; label: outcome (loaded|rejected).</summary>
        public const string WeightLoads = "align_generator_weight_loads";

        /// <summary>Counter of waits while the trainer backlog was above Generator:MaxTrainerBacklog.</summary>
        public const string BackpressureWaits = "align_generator_backpressure_waits";

        /// <summary>Gauge of the trainer backlog last read by the generator, in pairs.</summary>
        public const string ObservedTrainerBacklog = "align_generator_observed_trainer_backlog_pairs";
    }

    /// <summary>Scorer service.</summary>
    public static class Scorer
    {
        /// <summary>Counter of candidate sets scored.</summary>
        public const string SetsScored = "align_scorer_sets_scored";

        /// <summary>Counter of preference pairs emitted.</summary>
        public const string PairsEmitted = "align_scorer_pairs_emitted";

        /// <summary>Histogram of reward model scoring time, unit s; label: reward_model.</summary>
        public const string ScoringDuration = "align_scorer_scoring_duration";

        /// <summary>Counter of bandit arm selections (pulls); label: arm (the reward model name).</summary>
        public const string BanditSelections = "align_scorer_bandit_selections";

        /// <summary>Histogram of reward scores; label: reward_model.</summary>
        public const string RewardScore = "align_scorer_reward_score";

        /// <summary>Histogram of emitted pairs' reward margins R_chosen − R_rejected; label: reward_model.</summary>
        public const string PairMargin = "align_scorer_pair_margin";

        /// <summary>Counter of candidate sets that produced no pair; label: reason (duplicate|no-pair).</summary>
        public const string SetsSkipped = "align_scorer_sets_skipped";

        /// <summary>Gauge of the reference model version the scorer serves.</summary>
        public const string ReferenceVersion = "align_scorer_reference_version";

        /// <summary>Histogram of one batch's reference forward time, unit s.</summary>
        public const string ReferenceDuration = "align_scorer_reference_duration";

        /// <summary>Counter of CPU seconds spent in engine work (reference passes, engine-backed reward models), unit s.</summary>
        public const string EngineCpu = "align_scorer_engine_cpu";

        /// <summary>Counter of BanditFeedback events handled; label: outcome (applied|applied-from-event|duplicate|rejected).</summary>
        public const string BanditFeedback = "align_scorer_bandit_feedback";

        /// <summary>Histogram of the time from producing a batch's scored sets and pairs to their acknowledgement, unit s.</summary>
        public const string PublishDuration = "align_scorer_publish_duration";

        /// <summary>Histogram of the LASeR arm choice per task group (shared statistics read, LinUCB, pending write), unit s.</summary>
        public const string BanditDuration = "align_scorer_bandit_duration";
    }

    // ---- Trainer section (owned by services/trainer) ----

    /// <summary>Trainer service (meter <see cref="Meters.Trainer"/>).</summary>
    public static class Trainer
    {
        /// <summary>Counter of optimizer steps.</summary>
        public const string Steps = "align_trainer_steps";

        /// <summary>Counter of pairs trained on.</summary>
        public const string PairsTrained = "align_trainer_pairs_trained";

        /// <summary>Counter of pairs dropped as stale (Trainer:StalePolicy=drop).</summary>
        public const string PairsDroppedStale = "align_trainer_pairs_dropped_stale";

        /// <summary>Counter of stale pairs kept with a reduced weight (Trainer:StalePolicy=importance-weight).</summary>
        public const string PairsImportanceWeighted = "align_trainer_pairs_importance_weighted";

        /// <summary>Counter of pairs dropped because their pair id was already trained.</summary>
        public const string PairsDuplicate = "align_trainer_pairs_duplicate";

        /// <summary>Histogram of pair staleness (trainer policy version minus the pair's behavior version), unit {version}.</summary>
        public const string Staleness = "align_trainer_pair_staleness";

        /// <summary>Gauge of the last step's total loss.</summary>
        public const string Loss = "align_trainer_loss";

        /// <summary>Gauge of the last step's mean DPO loss.</summary>
        public const string DpoLoss = "align_trainer_dpo_loss";

        /// <summary>Gauge of the last step's reward accuracy (share of pairs with chosen implicit reward above rejected).</summary>
        public const string RewardAccuracy = "align_trainer_reward_accuracy";

        /// <summary>Histogram of implicit reward margins β·h per pair.</summary>
        public const string RewardMargin = "align_trainer_reward_margin";

        /// <summary>Gauge of the last step's mean policy − reference log-prob of the chosen responses.</summary>
        public const string KlToReference = "align_trainer_kl_to_reference";

        /// <summary>Gauge of the gradient norm before clipping.</summary>
        public const string GradientNorm = "align_trainer_gradient_norm";

        /// <summary>Gauge of the learning rate of the last step.</summary>
        public const string LearningRate = "align_trainer_learning_rate";

        /// <summary>Gauge of untrained pairs in the trainer backlog.</summary>
        public const string Backlog = "align_trainer_backlog_pairs";

        /// <summary>Histogram of one optimizer step's duration, unit s.</summary>
        public const string StepDuration = "align_trainer_step_duration";

        /// <summary>Counter of CPU seconds spent in engine work (forward, backward and optimizer of each step), unit s.</summary>
        public const string EngineCpu = "align_trainer_engine_cpu";

        /// <summary>Counter of policy versions published.</summary>
        public const string VersionsPublished = "align_trainer_versions_published";

        /// <summary>Counter of reference versions published.</summary>
        public const string ReferencesPublished = "align_trainer_references_published";

        /// <summary>Gauge of the latest policy version the trainer produced.</summary>
        public const string PolicyVersion = "align_trainer_policy_version";

        /// <summary>Gauge of the latest reference version the trainer produced.</summary>
        public const string ReferenceVersion = "align_trainer_reference_version";

        /// <summary>Counter of checkpoints written; label: reason (interval|publish|shutdown).</summary>
        public const string Checkpoints = "align_trainer_checkpoints";

        /// <summary>Histogram of checkpoint write time, unit s.</summary>
        public const string CheckpointDuration = "align_trainer_checkpoint_duration";

        /// <summary>Counter of BanditFeedback events published.</summary>
        public const string BanditFeedback = "align_trainer_bandit_feedback";

        /// <summary>Counter of old versions (and abandoned staging folders) deleted from the weight store by retention.</summary>
        public const string WeightsPruned = "align_trainer_weights_pruned";
    }

    // ---- end of Trainer section ----

    /// <summary>Weight hot-swap in generators and scorers (meter <see cref="Meters.Platform"/>); label kind (policy|reference) on each.</summary>
    public static class Weights
    {
        /// <summary>Gauge of the weights version being served.</summary>
        public const string ServingVersion = "align_weights_serving_version";

        /// <summary>Histogram of verify-load-flip time of a new version, unit s.</summary>
        public const string SwapDuration = "align_weights_swap_duration";

        /// <summary>Counter of versions refused; label reason (unsigned|bad-signature|hash-mismatch|size-mismatch|missing|bad-uri|load-failed).</summary>
        public const string Refusals = "align_weights_refusals";

        /// <summary>Counter of versions swapped in.</summary>
        public const string Swaps = "align_weights_swaps";

        /// <summary>Histogram of time from a version's publication to it being served, unit s.</summary>
        public const string PublishToServing = "align_weights_publish_to_serving";
    }

    // ---- Kafka section (owned by the Kafka area: shared/AlignStream.Platform/Kafka) ----

    /// <summary>Kafka producer, consume loops, dead-letter topic (meter <see cref="Meters.Kafka"/>).</summary>
    public static class Kafka
    {
        /// <summary>Counter of records produced and acknowledged; labels: topic, outcome (ok|error).</summary>
        public const string RecordsProduced = "align_kafka_records_produced";

        /// <summary>Histogram of produce-to-acknowledgement latency, unit s; label: topic.</summary>
        public const string ProduceDuration = "align_kafka_produce_duration";

        /// <summary>Counter of records taken by consume loops; labels: stage, topic.</summary>
        public const string RecordsConsumed = "align_kafka_records_consumed";

        /// <summary>Histogram of handler time per record or batch, unit s; labels: stage, mode (record|batch).</summary>
        public const string HandlerDuration = "align_kafka_handler_duration";

        /// <summary>Counter of handler retries after transient errors; label: stage.</summary>
        public const string HandlerRetries = "align_kafka_handler_retries";

        /// <summary>Counter of records sent to the dead-letter topic; labels: stage, source_topic, reason_kind.</summary>
        public const string DeadLetterRecords = "align_kafka_dlq_records";

        /// <summary>Gauge of records between a partition's consumer position and its high watermark; labels: stage, topic, partition.</summary>
        public const string ConsumerLag = "align_kafka_consumer_lag_records";

        /// <summary>Counter of partitions assigned or revoked; labels: stage, change (assigned|revoked|lost).</summary>
        public const string Rebalances = "align_kafka_rebalance_partitions";

        /// <summary>Counter of offset commits; labels: stage, outcome (ok|rebalance|error).</summary>
        public const string Commits = "align_kafka_offset_commits";

        /// <summary>Counter of client errors reported by librdkafka; labels: client (producer|consumer), fatal.</summary>
        public const string ClientErrors = "align_kafka_client_errors";
    }

    // ---- end of Kafka section ----
}
