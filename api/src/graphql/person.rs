//! Persons, their roles in cases and their identifiers: `Person`, `CaseParty`, `Identifier`,
//! `person`, `addParty` and `addIdentifier`.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};
use strum::IntoEnumIterator;

use super::case::countries;
use super::common::{
    AGENCY_CODE, DATE, DATE_TIME, Id, agency_value, datetime, enum_value, opt_enum, string_list,
};
use super::context::RequestCtx;
use super::input::{self, Input, MAX_SHORT, MAX_TEXT};
use super::model::{
    EnumValueDef, Guarded, InputDef, ObjectDef, Root, TypeDef, arg, domain_enum, load_list,
    load_one, resolve_async,
};
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::{ArrestStatus, DomainEnum, IdentificationStatus, PartyRole, Sex, SuspectRole};
use crate::error::{ApiError, ApiResult};
use crate::normalize::{self, IdentifierKind};
use crate::policy::{PersonFacts, RowFacts, Rows};
use crate::store::person::{
    self as store, IdentifierView, NewIdentifier, NewParty, NewPerson, PartyView, PersonView,
};

/// Parent value of `Person` fields.
pub(crate) type PersonNode = Arc<PersonView>;
/// Parent value of `CaseParty` fields.
pub(crate) type PartyNode = Arc<PartyView>;
/// Parent value of `Identifier` fields.
pub(crate) type IdentifierNode = Arc<IdentifierView>;

impl Guarded for PersonNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "Person",
            id: self.row.id,
            person: Some(self.row.id),
        })
    }
}

impl Guarded for PartyNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "CaseParty",
            id: self.row.id,
            person: Some(self.row.person_id),
        })
    }
}

impl Guarded for IdentifierNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "Identifier",
            id: self.row.id,
            person: Some(self.row.person_id),
        })
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    vec![
        domain_enum::<PartyRole>(),
        domain_enum::<SuspectRole>(),
        domain_enum::<ArrestStatus>(),
        domain_enum::<IdentificationStatus>(),
        domain_enum::<Sex>(),
        TypeDef::Enum {
            name: "IdentifierKind",
            description: "Kinds of identifiers.",
            governed: false,
            values: IdentifierKind::iter()
                .map(|k| EnumValueDef {
                    name: k.as_ref().to_string(),
                    description: String::new(),
                    rule: None,
                })
                .collect(),
        },
        person_type(),
        party_type(),
        identifier_type(),
        InputDef::new("PersonInput", "A person to record.")
            .field(
                "fullName",
                TypeRef::named_nn(TypeRef::STRING),
                "Full name with diacritics.",
            )
            .field(
                "aliases",
                TypeRef::named_nn_list(TypeRef::STRING),
                "Other names.",
            )
            .field("dateOfBirth", TypeRef::named(DATE), "Date of birth.")
            .field("sex", TypeRef::named("Sex"), "Sex.")
            .field(
                "ethnicity",
                TypeRef::named(TypeRef::STRING),
                "Ethnic group.",
            )
            .field(
                "nationality",
                TypeRef::named(TypeRef::STRING),
                "ISO 3166 alpha-2 nationality.",
            )
            .field(
                "nationalId",
                TypeRef::named(TypeRef::STRING),
                "National ID number.",
            )
            .field("address", TypeRef::named(TypeRef::STRING), "Address.")
            .field("phone", TypeRef::named(TypeRef::STRING), "Phone number.")
            .build(),
        InputDef::new(
            "AddPartyInput",
            "A person's role in a case: an existing person (`personId`) or a new one (`person`).",
        )
        .field("caseId", TypeRef::named_nn(TypeRef::ID), "The case.")
        .field(
            "caseVersion",
            TypeRef::named(TypeRef::INT),
            "The case version you read (checked when given).",
        )
        .field(
            "personId",
            TypeRef::named(TypeRef::ID),
            "An existing person.",
        )
        .field("person", TypeRef::named("PersonInput"), "A new person.")
        .field("role", TypeRef::named_nn("PartyRole"), "Role in the case.")
        .field(
            "suspectRole",
            TypeRef::named("SuspectRole"),
            "For suspects: role in the ring.",
        )
        .field(
            "arrestStatus",
            TypeRef::named("ArrestStatus"),
            "For suspects: arrest status.",
        )
        .field(
            "receivedAt",
            TypeRef::named(DATE_TIME),
            "For victims: when received (starts the 3-day verification).",
        )
        .field(
            "ageAtExploitation",
            TypeRef::named(TypeRef::INT),
            "For victims: age at exploitation.",
        )
        .field(
            "consentToShare",
            TypeRef::named(TypeRef::BOOLEAN),
            "For victims: consent to share identity with support services (default false).",
        )
        .with(victim_account)
        .field(
            "protectionMeasures",
            TypeRef::named_nn_list(TypeRef::STRING),
            "Protection measures.",
        )
        .field(
            "idempotencyKey",
            TypeRef::named(TypeRef::STRING),
            "Retry-safe key.",
        )
        .build(),
        InputDef::new(
            "UpdatePartyInput",
            "Changes to a party record; fields left out keep their value.",
        )
        .field("id", TypeRef::named_nn(TypeRef::ID), "The party record.")
        .field(
            "version",
            TypeRef::named_nn(TypeRef::INT),
            "The version you read.",
        )
        .field(
            "suspectRole",
            TypeRef::named("SuspectRole"),
            "For suspects: role in the ring.",
        )
        .field(
            "arrestStatus",
            TypeRef::named("ArrestStatus"),
            "For suspects: arrest status.",
        )
        .field(
            "ageAtExploitation",
            TypeRef::named(TypeRef::INT),
            "For victims: age at exploitation (under 18 makes the victim a child).",
        )
        .field(
            "consentToShare",
            TypeRef::named(TypeRef::BOOLEAN),
            "For victims: consent to share identity with support services.",
        )
        .with(victim_account)
        .field(
            "protectionMeasures",
            TypeRef::named_list(TypeRef::STRING),
            "Protection measures (replaces the list).",
        )
        .build(),
        InputDef::new("AddIdentifierInput", "An identifier of a person.")
            .field("personId", TypeRef::named_nn(TypeRef::ID), "The person.")
            .field(
                "personVersion",
                TypeRef::named(TypeRef::INT),
                "The person version you read (checked when given).",
            )
            .field("kind", TypeRef::named_nn("IdentifierKind"), "Kind.")
            .field(
                "value",
                TypeRef::named_nn(TypeRef::STRING),
                "Value as written.",
            )
            .field(
                "platform",
                TypeRef::named(TypeRef::STRING),
                "Platform of a social-media handle.",
            )
            .field(
                "verified",
                TypeRef::named(TypeRef::BOOLEAN),
                "Verified by an officer.",
            )
            .field(
                "idempotencyKey",
                TypeRef::named(TypeRef::STRING),
                "Retry-safe key.",
            )
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "person",
                TypeRef::named("Person"),
                "One person by id (NOT_FOUND when absent or out of your scope).",
                vec![arg("id", TypeRef::named_nn(TypeRef::ID), "Person id.")],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
                        let id = input::id_arg(&ctx, "id")?;
                        match req
                            .loaders
                            .person
                            .load_one(id)
                            .await
                            .map_err(ApiError::from)?
                        {
                            Some(p) => Ok(Some(FieldValue::owned_any(p))),
                            None => {
                                req.audit.not_found("Person", id);
                                Err(ApiError::NotFound("person"))
                            }
                        }
                    })
                },
            )
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field(
                "addParty",
                TypeRef::named("CaseParty"),
                "Add a person to a case in a role.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("AddPartyInput"),
                    "The party.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        add_party(&ctx)
                            .await
                            .map(|p| Some(FieldValue::owned_any(p)))
                    })
                },
            )
            .field(
                "updateParty",
                TypeRef::named("CaseParty"),
                "Change a party record: a suspect's role and arrest status, a victim's age, \
                 consent, account, health notes, whereabouts and protection measures.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("UpdatePartyInput"),
                    "The changes.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        update_party(&ctx)
                            .await
                            .map(|p| Some(FieldValue::owned_any(p)))
                    })
                },
            )
            .field(
                "addIdentifier",
                TypeRef::named("Identifier"),
                "Record an identifier of a person.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("AddIdentifierInput"),
                    "The identifier.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        add_identifier(&ctx)
                            .await
                            .map(|i| Some(FieldValue::owned_any(i)))
                    })
                },
            )
            .build(),
    ]
}

fn s(name: &str) -> TypeRef {
    TypeRef::named(name.to_string())
}

fn person_type() -> TypeDef {
    ObjectDef::<PersonNode>::new("Person", "A natural person known to at least one agency. Every field but `id` is personal data: reading it needs a purpose and is audited.")
        .key("id")
        .value("id", TypeRef::named_nn(TypeRef::ID), "Person id.", |p| Id(p.row.id))
        .value("version", TypeRef::named_nn(TypeRef::INT), "Version for optimistic concurrency.", |p| p.row.version)
        .value("fullName", s(TypeRef::STRING), "Full name.", |p| p.row.full_name.clone())
        .value("aliases", TypeRef::named_nn_list(TypeRef::STRING), "Other names.", |p| string_list(&p.row.aliases))
        .value("dateOfBirth", s(DATE), "Date of birth.", |p| p.row.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()))
        .value("sex", s("Sex"), "Sex.", |p| opt_enum(&p.row.sex))
        .value("ethnicity", s(TypeRef::STRING), "Ethnic group.", |p| p.row.ethnicity.clone())
        .value("nationality", s(TypeRef::STRING), "Nationality (ISO alpha-2).", |p| p.row.nationality.clone())
        .value("nationalId", s(TypeRef::STRING), "National ID number.", |p| p.row.national_id.clone())
        .value("address", s(TypeRef::STRING), "Address.", |p| p.row.address.clone())
        .value("phone", s(TypeRef::STRING), "Phone number.", |p| p.row.phone.clone())
        .value("isMinor", s(TypeRef::BOOLEAN), "Under 18 at exploitation in some case.", |p| p.facts.person.as_ref().is_some_and(|f| f.minor))
        .value("createdAt", s(DATE_TIME), "When recorded.", |p| datetime(&p.row.created_at))
        .value("createdByAgency", s(AGENCY_CODE), "Agency that recorded the person.", |p| agency_value(&p.row.created_by_agency))
        .field("identifiers", TypeRef::named_nn_list("Identifier"), "Phones, documents, accounts and handles.", vec![], |p, ctx| load_list(ctx, p.row.id, |l| &l.identifiers))
        .field("parties", TypeRef::named_nn_list("CaseParty"), "The person's roles in cases you may see.", vec![], |p, ctx| load_list(ctx, p.row.id, |l| &l.parties_by_person))
        .build()
}

fn party_type() -> TypeDef {
    ObjectDef::<PartyNode>::new("CaseParty", "A person's role in a case.")
        .value("id", TypeRef::named_nn(TypeRef::ID), "Party id.", |p| {
            Id(p.row.id)
        })
        .value(
            "version",
            TypeRef::named_nn(TypeRef::INT),
            "Version for optimistic concurrency.",
            |p| p.row.version,
        )
        .value(
            "role",
            TypeRef::named_nn("PartyRole"),
            "Role in the case.",
            |p| enum_value(&p.row.role),
        )
        .field(
            "case",
            s("Case"),
            "The case (null when outside your scope).",
            vec![],
            |p, ctx| load_one(ctx, Some(p.row.case_id), |l| &l.case),
        )
        .field(
            "person",
            s("Person"),
            "The person (null when outside your scope).",
            vec![],
            |p, ctx| load_one(ctx, Some(p.row.person_id), |l| &l.person),
        )
        .value(
            "suspectRole",
            s("SuspectRole"),
            "For suspects: role in the ring.",
            |p| opt_enum(&p.row.suspect_role),
        )
        .value(
            "arrestStatus",
            s("ArrestStatus"),
            "For suspects: arrest status.",
            |p| opt_enum(&p.row.arrest_status),
        )
        .value(
            "identification",
            s("IdentificationStatus"),
            "For victims: identification status.",
            |p| opt_enum(&p.row.identification),
        )
        .value(
            "receivedAt",
            s(DATE_TIME),
            "For victims: when received.",
            |p| p.row.received_at.as_ref().map(datetime),
        )
        .value(
            "ageAtExploitation",
            s(TypeRef::INT),
            "For victims: age at exploitation.",
            |p| p.row.age_at_exploitation,
        )
        .value(
            "consentToShare",
            s(TypeRef::BOOLEAN),
            "For victims: consent to share identity with support services.",
            |p| p.row.consent_to_share,
        )
        .value(
            "exploitationDetails",
            s(TypeRef::STRING),
            "For victims: what happened.",
            |p| p.row.exploitation_details.clone(),
        )
        .value(
            "healthNotes",
            s(TypeRef::STRING),
            "For victims: health notes.",
            |p| p.row.health_notes.clone(),
        )
        .value(
            "currentLocation",
            s(TypeRef::STRING),
            "For victims: current location.",
            |p| p.row.current_location.clone(),
        )
        .value(
            "protectionMeasures",
            TypeRef::named_nn_list(TypeRef::STRING),
            "Protection measures.",
            |p| string_list(&p.row.protection_measures),
        )
        .build()
}

fn identifier_type() -> TypeDef {
    ObjectDef::<IdentifierNode>::new(
        "Identifier",
        "A phone, document, account or handle of a person.",
    )
    .value(
        "id",
        TypeRef::named_nn(TypeRef::ID),
        "Identifier id.",
        |i| Id(i.row.id),
    )
    .value(
        "version",
        TypeRef::named_nn(TypeRef::INT),
        "Version for optimistic concurrency.",
        |i| i.row.version,
    )
    .value("kind", s("IdentifierKind"), "Kind.", |i| {
        enum_value(&i.row.kind)
    })
    .value("value", s(TypeRef::STRING), "Value as recorded.", |i| {
        i.row.value.clone()
    })
    .value(
        "normalized",
        s(TypeRef::STRING),
        "Normalized value used for matching.",
        |i| i.row.normalized.clone(),
    )
    .value(
        "platform",
        s(TypeRef::STRING),
        "Platform of a handle.",
        |i| i.row.platform.clone(),
    )
    .value(
        "verified",
        s(TypeRef::BOOLEAN),
        "Verified by an officer.",
        |i| i.row.verified,
    )
    .build()
}

/// The victim's account, health and whereabouts: input fields of `AddPartyInput` and
/// `UpdatePartyInput`.
fn victim_account(def: InputDef) -> InputDef {
    def.field(
        "exploitationDetails",
        TypeRef::named(TypeRef::STRING),
        "For victims: what happened.",
    )
    .field(
        "healthNotes",
        TypeRef::named(TypeRef::STRING),
        "For victims: health notes.",
    )
    .field(
        "currentLocation",
        TypeRef::named(TypeRef::STRING),
        "For victims: where they are now.",
    )
}

pub(crate) fn read_person(input: &Input<'_>) -> ApiResult<NewPerson> {
    let full_name = input.required_string("fullName", MAX_SHORT)?;
    let nationality = match input.string("nationality", 8)? {
        Some(n) => countries("person.nationality", vec![n])?.into_iter().next(),
        None => None,
    };
    Ok(NewPerson {
        name_folded: normalize::fold_name(&full_name),
        full_name,
        aliases: input.strings("aliases", MAX_SHORT)?,
        date_of_birth: input.date("dateOfBirth")?,
        sex: input
            .enumeration::<Sex>("sex")?
            .map(|v| v.name().to_string()),
        ethnicity: input.string("ethnicity", 100)?,
        nationality,
        national_id: input.string("nationalId", 64)?,
        address: input.string("address", MAX_SHORT)?,
        phone: input.string("phone", 64)?,
    })
}

/// Loads the person a mutation names, through the caller's scope (`NOT_FOUND`, audited, when
/// absent or out of scope).
pub(crate) async fn load_person(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<PersonNode> {
    write::load_scoped_or_not_found(
        req,
        "Person",
        "person",
        id,
        store::by_ids(&req.db, &req.principal, &[id]),
    )
    .await
}

async fn add_party(ctx: &ResolverContext<'_>) -> ApiResult<PartyNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let case_id = input.required_id("caseId")?;
    let case = super::case::load_named(req, case_id).await?;
    authorize_row(req, "Mutation", "addParty", &case.facts)?;
    let role = input.required_enum::<PartyRole>("role")?;
    let suspect = role == PartyRole::Suspect;
    let role_facts = |mut facts: RowFacts| {
        let person = facts.person.get_or_insert_with(PersonFacts::default);
        person.suspect |= suspect;
        person.victim |= !suspect;
        facts
    };
    // The person: an existing one in your scope, or a new one you record (your own).
    let (existing, new_person, person_facts) =
        match (input.id("personId")?, input.object("person")?) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_input(
                    "input.person",
                    "give either personId or person, not both",
                ));
            }
            (None, None) => {
                return Err(ApiError::bad_input(
                    "input.personId",
                    "give personId or person",
                ));
            }
            (Some(id), None) => {
                let person = load_person(req, id).await?;
                let facts = role_facts(person.facts.clone());
                (Some(person), None, facts)
            }
            (None, Some(p)) => {
                let facts = role_facts(RowFacts {
                    quals: Rows::OWN,
                    person: None,
                });
                p.authorize(req, "PersonInput", &facts)?;
                (None, Some(read_person(&p)?), facts)
            }
        };
    // A party row's facts: its case's and its person's.
    let party_facts = RowFacts {
        quals: case.facts.quals | person_facts.quals | Rows::OWN,
        person: person_facts.person.clone(),
    };
    input.authorize(req, "AddPartyInput", &party_facts)?;
    let victim_field = |name: &str| -> ApiResult<()> {
        if suspect && input.provided().iter().any(|p| p == name) {
            return Err(ApiError::bad_input(
                format!("input.{name}"),
                "applies to victims, not suspects",
            ));
        }
        Ok(())
    };
    for name in [
        "receivedAt",
        "ageAtExploitation",
        "exploitationDetails",
        "healthNotes",
        "currentLocation",
    ] {
        victim_field(name)?;
    }
    if !suspect {
        for name in ["suspectRole", "arrestStatus"] {
            if input.provided().iter().any(|p| p == name) {
                return Err(ApiError::bad_input(
                    format!("input.{name}"),
                    "applies to suspects only",
                ));
            }
        }
    }
    let case_version = input.version("caseVersion")?;
    let age = input.int("ageAtExploitation", 0..=120)?;
    let dob = match (&existing, &new_person) {
        (Some(p), _) => p.row.date_of_birth,
        (_, Some(p)) => p.date_of_birth,
        _ => None,
    };
    let is_minor = !suspect && store::minor_at(age, dob, case.row.opened_at);
    let received_at = input.datetime("receivedAt")?;
    let party = NewParty {
        case_id,
        person_id: existing.as_ref().map(|p| p.row.id).unwrap_or_default(),
        role: role.name().to_string(),
        suspect_role: input
            .enumeration::<SuspectRole>("suspectRole")?
            .map(|v| v.name().to_string()),
        arrest_status: input
            .enumeration::<ArrestStatus>("arrestStatus")?
            .map(|v| v.name().to_string()),
        identification: (!suspect && role != PartyRole::Witness)
            .then(|| IdentificationStatus::Received.name().to_string()),
        received_at: if suspect {
            None
        } else {
            Some(received_at.unwrap_or_else(crate::store::now))
        },
        age_at_exploitation: age,
        exploitation_details: input.string("exploitationDetails", MAX_TEXT)?,
        health_notes: input.string("healthNotes", MAX_TEXT)?,
        current_location: input.string("currentLocation", MAX_SHORT)?,
        consent_to_share: input.boolean("consentToShare")?.unwrap_or(false),
        protection_measures: input.strings("protectionMeasures", MAX_SHORT)?,
    };
    let key = write::key_of(&input)?;
    let mut fields = input.provided();
    if let Some(p) = input.object("person")? {
        fields.extend(p.provided().into_iter().map(|f| format!("person.{f}")));
    }
    let mut writes = crate::store::Writes::default();
    crate::store::case::bump_version_into(&mut writes, case_id, case_version);
    let mut party = party;
    if let Some(new_person) = new_person {
        party.person_id = store::insert_into(&mut writes, &req.principal, new_person);
    }
    let person = party.person_id;
    let entity = AuditEntity {
        ty: "CaseParty",
        id: store::insert_party_into(&mut writes, &req.principal, party, is_minor),
        person: Some(person),
    };
    let id = write::apply(req, "addParty", key, fields, writes, entity, None)
        .await?
        .id;
    // The new party alone, not all the case's parties (a case can hold hundreds).
    store::party_by_id(&req.db, &req.principal, id)
        .await?
        .map(Arc::new)
        .ok_or(ApiError::NotFound("party"))
}

/// The fields of `UpdatePartyInput` that only apply to victims, and those only to suspects.
const VICTIM_ONLY: [&str; 5] = [
    "ageAtExploitation",
    "consentToShare",
    "exploitationDetails",
    "healthNotes",
    "currentLocation",
];
const SUSPECT_ONLY: [&str; 2] = ["suspectRole", "arrestStatus"];

async fn update_party(ctx: &ResolverContext<'_>) -> ApiResult<PartyNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let party = write::load_scoped_or_not_found(
        req,
        "CaseParty",
        "party",
        id,
        store::party_by_id(&req.db, &req.principal, id),
    )
    .await?;
    authorize_row(req, "Mutation", "updateParty", &party.facts)?;
    input.authorize(req, "UpdatePartyInput", &party.facts)?;
    let provided = input.provided();
    let given = |name: &str| provided.iter().any(|p| p == name);
    let suspect = party.row.role == PartyRole::Suspect.name();
    let (wrong, applies) = if suspect {
        (&VICTIM_ONLY[..], "applies to victims, not suspects")
    } else {
        (&SUSPECT_ONLY[..], "applies to suspects only")
    };
    if let Some(name) = wrong.iter().find(|n| given(n)) {
        return Err(ApiError::bad_input(format!("input.{name}"), applies));
    }
    let mut values: Vec<(&'static str, sea_orm::Value)> = Vec::new();
    if given("suspectRole") {
        let v = input.enumeration::<SuspectRole>("suspectRole")?;
        values.push(("suspect_role", v.map(|v| v.name().to_string()).into()));
    }
    if given("arrestStatus") {
        let v = input.enumeration::<ArrestStatus>("arrestStatus")?;
        values.push(("arrest_status", v.map(|v| v.name().to_string()).into()));
    }
    if given("ageAtExploitation") {
        let age = input.int("ageAtExploitation", 0..=120)?;
        values.push(("age_at_exploitation", age.into()));
        if let Some(age) = age {
            values.push(("is_minor", (age < 18).into()));
        }
    }
    if given("consentToShare") {
        let consent = input
            .boolean("consentToShare")?
            .ok_or_else(|| ApiError::bad_input("input.consentToShare", "may not be null"))?;
        values.push(("consent_to_share", consent.into()));
    }
    for (name, column, max) in [
        ("exploitationDetails", "exploitation_details", MAX_TEXT),
        ("healthNotes", "health_notes", MAX_TEXT),
        ("currentLocation", "current_location", MAX_SHORT),
    ] {
        if given(name) {
            values.push((column, input.string(name, max)?.into()));
        }
    }
    if given("protectionMeasures") {
        let list = input.strings("protectionMeasures", MAX_SHORT)?;
        values.push(("protection_measures", crate::store::json_list(&list).into()));
    }
    if values.is_empty() {
        return Err(ApiError::bad_input("input", "nothing to change"));
    }
    let person = party.row.person_id;
    let mut writes = crate::store::Writes::default();
    crate::store::update_versioned_into(&mut writes, "case_party", "party", id, version, values);
    let entity = AuditEntity {
        ty: "CaseParty",
        id,
        person: Some(person),
    };
    write::apply(
        req,
        "updateParty",
        None,
        provided.clone(),
        writes,
        entity,
        None,
    )
    .await?;
    store::party_by_id(&req.db, &req.principal, id)
        .await?
        .map(Arc::new)
        .ok_or(ApiError::NotFound("party"))
}

async fn add_identifier(ctx: &ResolverContext<'_>) -> ApiResult<IdentifierNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let person_id = input.required_id("personId")?;
    let person = load_person(req, person_id).await?;
    authorize_row(req, "Mutation", "addIdentifier", &person.facts)?;
    input.authorize(req, "AddIdentifierInput", &person.facts)?;
    let kind = input
        .enum_name("kind")?
        .and_then(|k| k.parse::<IdentifierKind>().ok())
        .ok_or_else(|| ApiError::bad_input("input.kind", "is required"))?;
    let value = input.required_string("value", 256)?;
    let platform = input.string("platform", 64)?;
    let normalized =
        normalize::normalize_identifier(kind, &value, platform.as_deref()).map_err(|e| {
            let field = if e.concerns_platform() {
                "input.platform"
            } else {
                "input.value"
            };
            ApiError::bad_input(field, e.to_string())
        })?;
    let new = NewIdentifier {
        person_id,
        kind: kind.as_ref().to_string(),
        value,
        normalized: normalized.value,
        platform: normalized.platform,
        verified: input.boolean("verified")?.unwrap_or(false),
    };
    let person_version = input.version("personVersion")?;
    let key = write::key_of(&input)?;
    let mut writes = crate::store::Writes::default();
    store::bump_version_into(&mut writes, person_id, person_version);
    let entity = AuditEntity {
        ty: "Identifier",
        id: store::insert_identifier_into(&mut writes, &req.principal, new),
        person: Some(person_id),
    };
    let id = write::apply(
        req,
        "addIdentifier",
        key,
        input.provided(),
        writes,
        entity,
        None,
    )
    .await?
    .id;
    write::reload(
        store::identifiers_of_persons(&req.db, &req.principal, &[person_id]),
        |i| i.row.id == id,
        "identifier",
    )
    .await
}
