namespace Ops.Core.Errors;

/// <summary>
/// The one catalogue of the kernel's reason codes: every rejection, refusal and failure the kernel
/// reports carries one of these (or a pack handler's own code, which the kernel treats as
/// <see cref="ReasonKind.Unprocessable"/>). The edge (HTTP problem+json, CLI exit code) translates a
/// code once, through <see cref="KindOf"/>; nothing recognises an error by its message text.
/// </summary>
public static class ReasonCodes
{
    /// <summary>The envelope is malformed: a required field is missing, too long or of the wrong shape.</summary>
    public const string InvalidEnvelope = "invalid_envelope";

    /// <summary>The payload does not fit the command type's registered payload record.</summary>
    public const string InvalidPayload = "invalid_payload";

    /// <summary>No installed pack handles the command type.</summary>
    public const string UnknownCommandType = "unknown_command_type";

    /// <summary>The client's command_id does not match the one derived from the content.</summary>
    public const string CommandIdMismatch = "command_id_mismatch";

    /// <summary>The command_id (idempotency key) was already used for different content.</summary>
    public const string CommandIdConflict = "command_id_conflict";

    /// <summary>A claimed identity (actor, tenant, mode, user, surface) differs from the authenticated one (seed 001 §5).</summary>
    public const string IdentityMismatch = "identity_mismatch";

    /// <summary>The acting actor is not registered.</summary>
    public const string UnknownActor = "unknown_actor";

    /// <summary>The acting actor is disabled.</summary>
    public const string ActorDisabled = "actor_disabled";

    /// <summary>No capability of the actor allows the action on the object it acts on (constitution A4).</summary>
    public const string CapabilityDenied = "capability_denied";

    /// <summary>The payload names an object other than the command's target_ref.</summary>
    public const string TargetMismatch = "target_mismatch";

    /// <summary>target_ref does not have the form the command type's binding requires.</summary>
    public const string InvalidTarget = "invalid_target";

    /// <summary>The capability named does not exist.</summary>
    public const string UnknownCapability = "unknown_capability";

    /// <summary>The key named (API key or signing key) does not exist.</summary>
    public const string UnknownKey = "unknown_key";

    /// <summary>The policy named does not exist.</summary>
    public const string UnknownPolicy = "unknown_policy";

    /// <summary>A grant or delegation would give more than the granter's own effective scope holds.</summary>
    public const string Escalation = "escalation";

    /// <summary>A WRITE command was sent without going through propose and commit (seed 000 §2.1).</summary>
    public const string ConsentRequired = "consent_required";

    /// <summary>The consent is malformed or does not belong to the acting actor.</summary>
    public const string ConsentInvalid = "consent_invalid";

    /// <summary>The signature has expired.</summary>
    public const string ConsentExpired = "consent_expired";

    /// <summary>The signing key was not, or is no longer, an active key of the signer.</summary>
    public const string KeyNotActive = "key_not_active";

    /// <summary>The signature does not verify for the preview it claims.</summary>
    public const string SignatureInvalid = "signature_invalid";

    /// <summary>The signature (its nonce) was already used by a commit.</summary>
    public const string SignatureAlreadyUsed = "signature_already_used";

    /// <summary>No active policy version covers the command.</summary>
    public const string PolicyNotApplicable = "policy_not_applicable";

    /// <summary>Decided again at commit, the preview differs from the one consented to.</summary>
    public const string PreviewMismatch = "preview_mismatch";

    /// <summary>The proposal is older than its lifetime.</summary>
    public const string ProposalExpired = "proposal_expired";

    /// <summary>The command has several interpretations; one must be chosen.</summary>
    public const string Ambiguous = "ambiguous";

    /// <summary>The handler gave no preview for a mutation (seed 000 §3).</summary>
    public const string CannotPreview = "cannot_preview";

    /// <summary>The command's safety class is not supported on this path.</summary>
    public const string SafetyClassUnsupported = "safety_class_unsupported";

    /// <summary>Another command changed the stream first; decide again.</summary>
    public const string ConcurrencyConflict = "concurrency_conflict";

    /// <summary>The caller is not authenticated.</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>Too many requests from this client or actor; nothing was done.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The requested resource does not exist.</summary>
    public const string NotFound = "not_found";

    /// <summary>The request is malformed (query parameters, body, content type).</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The route exists, but not for this HTTP method.</summary>
    public const string MethodNotAllowed = "method_not_allowed";

    /// <summary>The request body is not of a media type the route accepts.</summary>
    public const string UnsupportedMediaType = "unsupported_media_type";

    /// <summary>A schema migration was refused: it would destroy data the log holds, names no known migration, or another migration holds the lock.</summary>
    public const string MigrationRefused = "migration_refused";

    /// <summary>The log could not commit; nothing was written.</summary>
    public const string LogUnavailable = "log_unavailable";

    /// <summary>The log, an export or a projection failed an integrity check.</summary>
    public const string IntegrityViolation = "integrity_violation";

    /// <summary>A pack was refused at install or load: its manifest or an architecture rule (docs/pack-authoring.md).</summary>
    public const string PackRefused = "pack_refused";

    /// <summary>A pack's publisher signature is missing where the operator requires one, does not verify, or is from an untrusted publisher.</summary>
    public const string PackSignatureInvalid = "pack_signature_invalid";

    /// <summary>A pack folder's content no longer has the content hash its install recorded.</summary>
    public const string PackHashMismatch = "pack_hash_mismatch";

    /// <summary>The pack id (or a contract it exports) is already installed with other content; an upgrade must say so.</summary>
    public const string PackConflict = "pack_conflict";

    /// <summary>
    /// A pack exports a contract module whose name is already bound to another installed pack (issue 16 item 4): refused
    /// at install, and at load for a second exporter the log holds from before the check.
    /// </summary>
    public const string PackContractTaken = "pack_contract_taken";

    /// <summary>
    /// An upgrade changes a contract module that another installed pack depends on in a way that breaks it (a field removed,
    /// renamed or retyped; a type removed; a new required field), or the change cannot be diffed for want of a contract
    /// registry; the upgrade was refused, naming the type, the field and the dependents (issue 16 item 5, constitution §4).
    /// </summary>
    public const string PackContractBreaking = "pack_contract_breaking";

    /// <summary>A pack depends on a contract module no installed pack exports, or a removal would break a dependent.</summary>
    public const string PackDependencyMissing = "pack_dependency_missing";

    /// <summary>The pack is not installed (remove, upgrade, or a command of a pack removed since the worker started).</summary>
    public const string PackNotInstalled = "pack_not_installed";

    /// <summary>An upstream (connector source) failed; pages stored before the failure stay stored.</summary>
    public const string UpstreamFailed = "upstream_failed";

    /// <summary>The egress request is not in a status that allows the move (another operator or worker moved it first).</summary>
    public const string EgressStateConflict = "egress_state_conflict";

    /// <summary>A kill switch covers the egress request; release the switch first (constitution A5).</summary>
    public const string EgressSwitchEngaged = "egress_switch_engaged";

    /// <summary>An egress approval breaks the destination's separation of duties: the approver is the requester, or has approved already.</summary>
    public const string SeparationOfDuties = "separation_of_duties";

    /// <summary>An outbox row differs from what the log recorded of its request (edited behind the kernel's back); it is held, never sent.</summary>
    public const string OutboxAltered = "outbox_altered";

    /// <summary>An unexpected kernel failure; details are in the worker's log, not in the response.</summary>
    public const string Internal = "internal";

    /// <summary>
    /// Code of a pack (a command, query, connector or egress handler) threw: the kernel caught it at its boundary, recorded
    /// it, and changed nothing; the reason names the pack, the handler and the exception's type (issue 16 item 6).
    /// </summary>
    public const string PackFault = "pack_fault";

    /// <summary>
    /// The projection is parked: its fold threw on an event, so its documents stay as of the event before and it is not read
    /// until an operator resumes it (<c>projections resume</c>) or its pack ships a new projection version (issue 16 item 6).
    /// </summary>
    public const string ProjectionParked = "projection_parked";

    /// <summary>
    /// A stored row of the log does not parse (a flipped bit, a renamed member, invalid UTF-8, a value of the wrong type):
    /// reported with its position and what is wrong with it, so <c>log verify</c> can locate the damage.
    /// </summary>
    public const string RowUnreadable = "row_unreadable";

    /// <summary>The schema of the log's tables (their columns, indexes and append-only triggers) differs from the one the migrations create.</summary>
    public const string SchemaAltered = "schema_altered";

    /// <summary>
    /// The worker's configuration is not usable (an option out of range, a route or trusted key that does not parse, a
    /// builder call out of order): the kernel did not start, and nothing was changed.
    /// </summary>
    public const string ConfigurationInvalid = "configuration_invalid";

    /// <summary>A secret a connector or egress destination needs is not configured, or its handle expired; nothing was sent.</summary>
    public const string SecretUnavailable = "secret_unavailable";

    /// <summary>A public key is not base64 of an ECDSA P-256 SubjectPublicKeyInfo; nothing was registered.</summary>
    public const string InvalidKey = "invalid_key";

    /// <summary>The database is already initialized (it has actors); <c>init</c> changed nothing.</summary>
    public const string AlreadyInitialized = "already_initialized";

    /// <summary>How the edge should treat a code: an HTTP status class and a CLI exit code.</summary>
    /// <param name="code">A code from this catalogue, or a pack handler's own code.</param>
    /// <returns>The kind; a code not in the catalogue is <see cref="ReasonKind.Unprocessable"/>.</returns>
    public static ReasonKind KindOf(string? code) => code switch
    {
        InvalidEnvelope or InvalidPayload or InvalidTarget or CommandIdMismatch or ConsentInvalid or BadRequest => ReasonKind.BadRequest,
        Unauthenticated => ReasonKind.Unauthenticated,
        CapabilityDenied or IdentityMismatch or UnknownActor or ActorDisabled or KeyNotActive or SignatureInvalid or PolicyNotApplicable or TargetMismatch or Escalation or PackSignatureInvalid or SeparationOfDuties => ReasonKind.Forbidden,
        UnknownCommandType or NotFound or UnknownCapability or UnknownKey or UnknownPolicy or PackNotInstalled => ReasonKind.NotFound,
        MigrationRefused or CommandIdConflict or ConcurrencyConflict or PreviewMismatch or SignatureAlreadyUsed or Ambiguous or ProposalExpired or ConsentExpired or PackConflict or PackContractTaken or EgressStateConflict or EgressSwitchEngaged or OutboxAltered or AlreadyInitialized => ReasonKind.Conflict,
        ConsentRequired => ReasonKind.PreconditionRequired,
        RateLimited => ReasonKind.RateLimited,
        UnsupportedMediaType => ReasonKind.UnsupportedMediaType,
        MethodNotAllowed => ReasonKind.MethodNotAllowed,
        LogUnavailable or ProjectionParked or SecretUnavailable => ReasonKind.Unavailable,
        UpstreamFailed => ReasonKind.Upstream,
        IntegrityViolation or RowUnreadable or SchemaAltered or Internal or PackFault or ConfigurationInvalid => ReasonKind.Internal,
        InvalidKey => ReasonKind.Unprocessable,
        _ => ReasonKind.Unprocessable,
    };
}

/// <summary>The class of a reason code, which the edge maps to an HTTP status and a CLI exit code.</summary>
public enum ReasonKind
{
    /// <summary>The request is malformed (HTTP 400; CLI exit 2 for usage, 1 otherwise).</summary>
    BadRequest = 1,

    /// <summary>No valid credentials (HTTP 401).</summary>
    Unauthenticated = 2,

    /// <summary>Authenticated, but not allowed (HTTP 403).</summary>
    Forbidden = 3,

    /// <summary>No such resource (HTTP 404).</summary>
    NotFound = 4,

    /// <summary>Conflicts with current state or an earlier request (HTTP 409).</summary>
    Conflict = 5,

    /// <summary>A precondition such as consent is missing (HTTP 428).</summary>
    PreconditionRequired = 6,

    /// <summary>Well-formed but refused by a rule (HTTP 422).</summary>
    Unprocessable = 7,

    /// <summary>The body's media type is not accepted (HTTP 415).</summary>
    UnsupportedMediaType = 12,

    /// <summary>The resource does not take this method (HTTP 405).</summary>
    MethodNotAllowed = 13,

    /// <summary>Too many requests (HTTP 429).</summary>
    RateLimited = 8,

    /// <summary>The kernel could not do it now (HTTP 503).</summary>
    Unavailable = 9,

    /// <summary>An upstream failed (HTTP 502).</summary>
    Upstream = 10,

    /// <summary>A kernel failure (HTTP 500).</summary>
    Internal = 11,
}
