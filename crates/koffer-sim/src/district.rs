//! The simulated district: organisations, the accounts that sign in, the people devices are
//! handed to, and the device inventory.
//!
//! Lists that are small and change rarely (groups, classes, policies, the app catalogue) are
//! kept as the wire types of `koffer-api` and serialised as they are.

use std::collections::HashMap;

use koffer_api::SchoolClass;
use koffer_api::{CatalogApp, DeviceGroup, Organization, OrganizationKind, Policy, Role};

use crate::catalogue::AppIdx;
use crate::inventory::Inventory;
use crate::licences::EnrolmentProfile;
use crate::uuid::Uuid;

/// Index into [`District::organisations`].
pub type OrgIdx = usize;

/// A case (class set) of a school and the next free slot number for its device names.
#[derive(Debug, Clone)]
pub struct CaseSet {
    pub group: u16,
    pub number: usize,
    pub next_slot: usize,
    /// The case's iPads run in Shared iPad mode: students sign in on any of them.
    pub shared_ipad: bool,
}

#[derive(Debug)]
pub struct Organisation {
    pub wire: Organization,
    /// Short code at the start of the school's device names, e.g. "GSN".
    pub code: String,
    pub groups: Vec<DeviceGroup>,
    pub cases: Vec<CaseSet>,
    pub classes: Vec<SchoolClass>,
    pub policies: Vec<Policy>,
    pub catalogue: Vec<CatalogApp>,
    /// Apps this school hands out (core and school apps), in bundle id order.
    pub app_pool: Vec<AppIdx>,
    /// Device licences the organisation holds.
    pub device_licences: u32,
    pub dep_profiles: Vec<EnrolmentProfile>,
}

impl Organisation {
    pub fn new(uuid: Uuid, name: String, kind: OrganizationKind, parent: Option<Uuid>) -> Self {
        let wire = Organization {
            uuid: uuid.to_string(),
            name,
            kind,
            parent_uuid: parent.map(|p| p.to_string()),
        };
        Organisation {
            wire,
            code: String::new(),
            groups: Vec::new(),
            cases: Vec::new(),
            classes: Vec::new(),
            policies: Vec::new(),
            catalogue: Vec::new(),
            app_pool: Vec::new(),
            device_licences: 0,
            dep_profiles: Vec::new(),
        }
    }

    pub fn uuid(&self) -> &str {
        &self.wire.uuid
    }

    pub fn is_school(&self) -> bool {
        self.wire.kind == OrganizationKind::School
    }
}

/// A user who signs in with an access token.
#[derive(Debug, Clone)]
pub struct Account {
    pub uuid: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub home: OrgIdx,
    /// Organisations the token may act in, in the order they are listed.
    pub rights: Vec<OrgIdx>,
    pub token: String,
    pub revoked: bool,
}

impl Account {
    pub fn may_act_in(&self, org: OrgIdx) -> bool {
        self.rights.contains(&org)
    }
}

/// Someone a device is handed to: a teacher or a student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub login: String,
    pub display_name: String,
}

#[derive(Debug)]
pub struct District {
    pub organisations: Vec<Organisation>,
    pub accounts: Vec<Account>,
    pub people: Vec<Person>,
    pub inventory: Inventory,
    org_by_uuid: HashMap<String, OrgIdx>,
    account_by_token: HashMap<String, usize>,
}

impl District {
    pub fn new(organisations: Vec<Organisation>) -> District {
        let org_by_uuid = organisations
            .iter()
            .enumerate()
            .map(|(i, org)| (org.uuid().to_owned(), i))
            .collect();
        District {
            inventory: Inventory::new(organisations.len()),
            organisations,
            accounts: Vec::new(),
            people: Vec::new(),
            org_by_uuid,
            account_by_token: HashMap::new(),
        }
    }

    pub fn add_account(&mut self, account: Account) {
        self.account_by_token
            .insert(account.token.clone(), self.accounts.len());
        self.accounts.push(account);
    }

    /// The account behind a token that has not been revoked.
    pub fn signed_in(&self, token: &str) -> Option<&Account> {
        let account = &self.accounts[*self.account_by_token.get(token)?];
        (!account.revoked).then_some(account)
    }

    /// Revokes a token; false when there is no such token.
    pub fn revoke(&mut self, token: &str) -> bool {
        let Some(&index) = self.account_by_token.get(token) else {
            return false;
        };
        self.accounts[index].revoked = true;
        true
    }

    pub fn org_by_uuid(&self, uuid: &str) -> Option<OrgIdx> {
        self.org_by_uuid.get(uuid).copied()
    }

    pub fn schools(&self) -> Vec<OrgIdx> {
        (0..self.organisations.len())
            .filter(|&i| self.organisations[i].is_school())
            .collect()
    }

    pub fn add_person(&mut self, person: Person) -> u32 {
        self.people.push(person);
        (self.people.len() - 1) as u32
    }

    pub fn person(&self, index: u32) -> &Person {
        &self.people[index as usize]
    }
}
