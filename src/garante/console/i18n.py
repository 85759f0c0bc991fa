"""The console's words in English and Spanish: one catalogue, every key in both languages.

Values named in braces (``{at}``) are filled by ``str.format``. Identifiers (order ids,
agency ids, purposes, categories) stay as they are in both languages: they are data, and an
inspector must be able to match them against the audit log.
"""

from __future__ import annotations

from typing import Any, Literal, cast

Lang = Literal["en", "es"]
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}

_E = "en"
CATALOGUE: dict[str, dict[str, str]] = {
    # -- frame -------------------------------------------------------------------------
    "app.tagline": {
        "en": "conditional intelligence sharing",
        "es": "intercambio condicionado de inteligencia",
    },
    "app.footer": {
        "en": "Every action here goes through the service and lands in the verifiable audit log.",
        "es": "Cada acción pasa por el servicio y queda en el registro de auditoría verificable.",
    },
    "nav.skip": {"en": "Skip to content", "es": "Saltar al contenido"},
    "nav.main": {"en": "Main", "es": "Principal"},
    "nav.language": {"en": "Language", "es": "Idioma"},
    "nav.partners": {"en": "Partners", "es": "Socios"},
    "nav.orders": {"en": "Orders", "es": "Órdenes"},
    "nav.held": {"en": "Held queue", "es": "Cola retenida"},
    "nav.releases": {"en": "Releases and outcomes", "es": "Entregas y resultados"},
    "nav.audit": {"en": "Audit log", "es": "Registro de auditoría"},
    "nav.charts": {"en": "Charts", "es": "Gráficos"},
    "who.signed_in_as": {"en": "Signed in as", "es": "Sesión de"},
    "who.sign_out": {"en": "Sign out", "es": "Cerrar sesión"},
    # -- sign-in and errors ------------------------------------------------------------
    "signin.title": {"en": "Sign in", "es": "Iniciar sesión"},
    "signin.intro": {
        "en": "Sign in with your Garante API token. The console grants the same role as the API.",
        "es": "Inicie sesión con su token de la API de Garante. La consola otorga el mismo rol "
        "que la API.",
    },
    "signin.token": {"en": "API token", "es": "Token de la API"},
    "signin.token_help": {
        "en": "Starts with gar_. Create one with `garante tokens create`.",
        "es": "Empieza por gar_. Créelo con `garante tokens create`.",
    },
    "signin.submit": {"en": "Sign in", "es": "Entrar"},
    "signin.failed": {
        "en": "That token was not accepted: it is unknown, revoked, or the form expired. "
        "Try again.",
        "es": "No se aceptó ese token: es desconocido, fue revocado o el formulario caducó. "
        "Inténtelo de nuevo.",
    },
    "error.title": {"en": "That did not work", "es": "No se pudo completar"},
    "error.field": {"en": "Field", "es": "Campo"},
    "error.hint": {"en": "Hint", "es": "Sugerencia"},
    "error.code": {"en": "Error code", "es": "Código de error"},
    "error.back": {"en": "Back to the console", "es": "Volver a la consola"},
    "error.forbidden": {"en": "Not allowed", "es": "No permitido"},
    "error.forbidden_text": {
        "en": "Your role may not see or do this, as in the API.",
        "es": "Su rol no puede ver ni hacer esto, igual que en la API.",
    },
    "error.csrf": {"en": "Form expired", "es": "Formulario caducado"},
    "error.csrf_text": {
        "en": "The form did not carry this session's token. Reload the page and try again.",
        "es": "El formulario no llevaba el token de esta sesión. Recargue la página y reintente.",
    },
    # -- sign-in with OpenID Connect (console/oidc.py) ----------------------------------
    "signin.or": {"en": "Or", "es": "O bien"},
    "signin.oidc": {"en": "Sign in with {name}", "es": "Iniciar sesión con {name}"},
    "signin.done": {"en": "Signed in", "es": "Sesión iniciada"},
    "signin.continue": {"en": "Continue to the console", "es": "Continuar a la consola"},
    "signout.done": {"en": "Signed out", "es": "Sesión cerrada"},
    "signout.provider": {
        "en": "Sign out of the identity provider too",
        "es": "Cerrar también la sesión del proveedor de identidad",
    },
    "error.oidc_off": {"en": "No OpenID sign-in", "es": "Sin inicio de sesión OpenID"},
    "error.oidc_off_text": {
        "en": "This server signs in with API tokens only.",
        "es": "Este servidor solo inicia sesión con tokens de la API.",
    },
    "error.oidc_token": {"en": "Sign-in refused", "es": "Inicio de sesión rechazado"},
    "error.oidc_token_text": {
        "en": "The identity provider's answer could not be accepted: the ID token was expired, "
        "altered or not for this console, or the sign-in took too long. No session was "
        "started. Sign in again; if it keeps failing, tell the operator (the server logged why).",
        "es": "No se pudo aceptar la respuesta del proveedor de identidad: el token de "
        "identidad había caducado, estaba alterado o no era para esta consola, o el inicio de "
        "sesión tardó demasiado. No se inició ninguna sesión. Vuelva a iniciar sesión; si "
        "sigue fallando, avise al operador (el servidor registró el motivo).",
    },
    "error.oidc_unmapped": {"en": "No Garante role", "es": "Sin rol en Garante"},
    "error.oidc_unmapped_text": {
        "en": "You signed in with the identity provider, but your account gives no single "
        "Garante role, or names an agency or authority this console does not know. No "
        "session was started. Ask the operator to map your group or agency.",
        "es": "Inició sesión con el proveedor de identidad, pero su cuenta no da un único rol "
        "de Garante, o nombra una agencia o autoridad que esta consola no conoce. No se inició "
        "ninguna sesión. Pida al operador que asigne su grupo o agencia.",
    },
    "error.oidc_unavailable": {
        "en": "Identity provider unavailable",
        "es": "Proveedor de identidad no disponible",
    },
    "error.oidc_unavailable_text": {
        "en": "The identity provider could not be reached. Try again later, or sign in with "
        "an API token.",
        "es": "No se pudo contactar con el proveedor de identidad. Inténtelo más tarde o "
        "inicie sesión con un token de la API.",
    },
    # -- service errors, in the console's words (console/errors.py) ---------------------
    # fault.<code>[@<field>] is the message, fault_hint.<code>[@<field>] the hint; {name} is
    # the first 'quoted' name of the service's message (an order id, say).
    "fault.validation.invalid@requires": {
        "en": "A require order needs at least one clause ticked under “Required clauses”; "
        "other effects take none.",
        "es": "Una orden de exigencia necesita al menos una cláusula marcada en “Cláusulas "
        "exigidas”; los demás efectos no llevan ninguna.",
    },
    "fault_hint.validation.invalid@requires": {
        "en": "for example, tick lethal-force under “Prohibits” and protection-of-life under "
        "“Guarantees”",
        "es": "por ejemplo, marque lethal-force en “Prohíbe” y protection-of-life en “Garantiza”",
    },
    "fault.validation.invalid@exempts": {
        "en": "An exemption needs at least one order ticked under “Orders to exempt from”, "
        "and none that is itself an exemption; other effects take none.",
        "es": "Una exención necesita al menos una orden marcada en “Órdenes de las que "
        "eximir”, ninguna que sea a su vez una exención; los demás efectos no llevan ninguna.",
    },
    "fault.validation.invalid@reason": {
        "en": "Give the reason for the order.",
        "es": "Indique el motivo de la orden.",
    },
    "fault_hint.validation.invalid@reason": {
        "en": "quote the instruction it carries out",
        "es": "cite la instrucción que cumple",
    },
    "fault.validation.invalid@valid_until": {
        "en": "“Until” must be a date and time after the order takes effect.",
        "es": "“Hasta” debe ser una fecha y hora posterior a la entrada en vigor de la orden.",
    },
    "fault.validation.invalid@id": {
        "en": "That order id cannot be used.",
        "es": "Ese id de orden no es válido.",
    },
    "fault_hint.validation.invalid@id": {
        "en": "use lower-case letters, digits, '.', '_' or '-', starting with a letter or "
        "digit; or leave it empty to have one assigned",
        "es": "use minúsculas, dígitos, '.', '_' o '-', empezando por una letra o un dígito; "
        "o déjelo vacío para que se asigne uno",
    },
    "fault.validation.invalid@days": {
        "en": "The simulation period must be a number of days.",
        "es": "El periodo de simulación debe ser un número de días.",
    },
    "fault.validation.invalid@effect": {
        "en": "Choose one of the effects offered.",
        "es": "Elija uno de los efectos ofrecidos.",
    },
    "fault.validation.invalid@scope.countries": {
        "en": "No registered agency is in one of the countries chosen.",
        "es": "Ninguna agencia registrada está en uno de los países elegidos.",
    },
    "fault.validation.invalid@form": {
        "en": "The form is too large to send.",
        "es": "El formulario es demasiado grande para enviarlo.",
    },
    "fault.validation.unknown_value": {
        "en": "“{name}” is not one of the values offered.",
        "es": "“{name}” no es uno de los valores ofrecidos.",
    },
    "fault.validation.scope_not_explicit@empty": {
        "en": "The scope names nothing, so the order would reach every request of every "
        "partner; say so to mean it.",
        "es": "El alcance no indica nada, así que la orden alcanzaría todas las solicitudes "
        "de todos los socios; dígalo si es lo que quiere.",
    },
    "fault.validation.scope_not_explicit@everything": {
        "en": "The order is marked as applying to everything, but it also names a scope.",
        "es": "La orden está marcada como aplicable a todo, pero también indica un alcance.",
    },
    "fault.conflict.already_exists@id": {
        "en": "An order “{name}” already exists.",
        "es": "Ya existe una orden “{name}”.",
    },
    "fault_hint.conflict.already_exists@id": {
        "en": "choose another id, or leave it empty to have one assigned",
        "es": "elija otro id, o déjelo vacío para que se asigne uno",
    },
    "fault.conflict.invalid_state@id": {
        "en": "Order “{name}” was already lifted; it can no longer change.",
        "es": "La orden “{name}” ya fue levantada; ya no puede cambiar.",
    },
    "fault_hint.conflict.invalid_state@id": {
        "en": "issue a new order instead",
        "es": "emita una orden nueva en su lugar",
    },
    "fault.order.not_found": {
        "en": "There is no order “{name}”.",
        "es": "No existe la orden “{name}”.",
    },
    "fault.agency.not_found": {
        "en": "There is no agency “{name}”.",
        "es": "No existe la agencia “{name}”.",
    },
    "fault.authority.not_found": {
        "en": "There is no authority “{name}”.",
        "es": "No existe la autoridad “{name}”.",
    },
    "fault.condition.not_found": {
        "en": "There is no condition “{name}”.",
        "es": "No existe la condición “{name}”.",
    },
    "fault.auth.not_entitled@authority": {
        "en": "Order “{name}” was issued by another authority; yours may not change it.",
        "es": "La orden “{name}” la emitió otra autoridad; la suya no puede modificarla.",
    },
    "fault_hint.auth.not_entitled@authority": {
        "en": "ask the issuing authority, or one superior to it; or issue an exemption of your own",
        "es": "pídaselo a la autoridad emisora o a una superior a ella; o emita una exención "
        "propia",
    },
    "fault.auth.forbidden": {
        "en": "Your role may not do this.",
        "es": "Su rol no puede hacer esto.",
    },
    "fault.signature.required": {
        "en": "Your authority has a registered key, so the statement must be signed with it.",
        "es": "Su autoridad tiene una clave registrada, así que la declaración debe firmarse "
        "con ella.",
    },
    "fault.signature.invalid": {
        "en": "The signature was not accepted.",
        "es": "No se aceptó la firma.",
    },
    "fault_hint.signature": {
        "en": "sign exactly the statement shown with your authority's Ed25519 key, and paste "
        "the signature in base64",
        "es": "firme exactamente la declaración mostrada con la clave Ed25519 de su "
        "autoridad y pegue la firma en base64",
    },
    "fault_hint.accepted": {"en": "accepted: {values}", "es": "valores aceptados: {values}"},
    "fault_hint.did_you_mean": {
        "en": "did you mean “{value}”? ",
        "es": "¿quiso decir “{value}”? ",
    },
    # -- shared vocabulary -------------------------------------------------------------
    "level.open": {"en": "Open", "es": "Abierto"},
    "level.conditional": {"en": "Conditional", "es": "Condicionado"},
    "level.held": {"en": "Held", "es": "Retenido"},
    "level.suspended": {"en": "Suspended", "es": "Suspendido"},
    "level.open.help": {
        "en": "No order in force reaches this partner.",
        "es": "Ninguna orden vigente alcanza a este socio.",
    },
    "level.conditional.help": {
        "en": "A require order applies: releases wait for an undertaking with its clauses.",
        "es": "Aplica una orden de exigencia: las entregas esperan un compromiso con sus "
        "cláusulas.",
    },
    "level.held.help": {
        "en": "A hold order applies: requests are held, not lost, and decided again when it "
        "changes.",
        "es": "Aplica una orden de retención: las solicitudes quedan retenidas, no perdidas, y se "
        "deciden de nuevo cuando cambia.",
    },
    "level.suspended.help": {
        "en": "A deny order applies, or the automatic hold a breach brings until an authority "
        "lifts it.",
        "es": "Aplica una orden de denegación, o la retención automática que trae un "
        "incumplimiento hasta que una autoridad la levante.",
    },
    "effect.deny": {"en": "deny", "es": "denegar"},
    "effect.hold": {"en": "hold", "es": "retener"},
    "effect.require": {"en": "require", "es": "exigir"},
    "effect.exempt": {"en": "exempt", "es": "eximir"},
    "outcome.released": {"en": "released", "es": "autorizado"},
    "outcome.held": {"en": "held", "es": "retenido"},
    "outcome.denied": {"en": "denied", "es": "denegado"},
    "kind.seizure": {"en": "seizure", "es": "incautación"},
    "kind.arrest": {"en": "arrest", "es": "captura"},
    "kind.interdiction": {"en": "interdiction", "es": "interdicción"},
    "kind.no-action": {"en": "no action", "es": "sin acción"},
    "kind.lethal-force": {"en": "lethal force", "es": "fuerza letal"},
    "kind.other": {"en": "other", "es": "otro"},
    "scope.agencies": {"en": "Agencies", "es": "Agencias"},
    "scope.countries": {"en": "Countries", "es": "Países"},
    "scope.categories": {"en": "Categories", "es": "Categorías"},
    "scope.regions": {"en": "Regions", "es": "Regiones"},
    "scope.everything": {"en": "everything", "es": "todo"},
    "requires.prohibits": {"en": "Prohibits", "es": "Prohíbe"},
    "requires.protections": {"en": "Guarantees", "es": "Garantiza"},
    "condition.active": {"en": "active", "es": "activa"},
    "condition.inactive": {"en": "inactive", "es": "inactiva"},
    "condition.since": {"en": "since {at}", "es": "desde {at}"},
    "undertaking.revoked": {"en": "revoked", "es": "revocado"},
    "undertaking.in_effect": {"en": "signed", "es": "firmado"},
    "undertaking.after_recovery": {"en": "after key recovery", "es": "tras recuperar la clave"},
    "undertaking.after_recovery_note": {
        "en": "Signed with a key an authority vouched for after the agency's own key was lost",
        "es": "Firmado con una clave que una autoridad avaló tras perderse la de la agencia",
    },
    "pager.label": {"en": "Pages", "es": "Páginas"},
    "pager.first": {"en": "First page", "es": "Primera página"},
    "pager.previous": {"en": "Previous page", "es": "Página anterior"},
    "pager.next": {"en": "Next page", "es": "Página siguiente"},
    "pager.last": {"en": "Last page", "es": "Última página"},
    # -- column headings ---------------------------------------------------------------
    "col.age": {"en": "Held for", "es": "Retenida hace"},
    "col.agency": {"en": "Agency", "es": "Agencia"},
    "col.before": {"en": "Before", "es": "Antes"},
    "col.breach": {"en": "Breach", "es": "Incumplimiento"},
    "col.condition": {"en": "While", "es": "Mientras"},
    "col.count": {"en": "Requests", "es": "Solicitudes"},
    "col.country": {"en": "Country", "es": "País"},
    "col.decided": {"en": "Decided", "es": "Decidida"},
    "col.details": {"en": "Details", "es": "Detalles"},
    "col.effect": {"en": "Effect", "es": "Efecto"},
    "col.from": {"en": "From", "es": "Desde"},
    "col.id": {"en": "Id", "es": "Id"},
    "col.index": {"en": "Index", "es": "Índice"},
    "col.issued": {"en": "Issued", "es": "Emitida"},
    "col.issuer": {"en": "Issued by", "es": "Emitida por"},
    "col.item": {"en": "Item", "es": "Elemento"},
    "col.kind": {"en": "Kind", "es": "Tipo"},
    "col.now": {"en": "Now", "es": "Ahora"},
    "col.occurred": {"en": "Occurred", "es": "Ocurrió"},
    "col.order": {"en": "Order", "es": "Orden"},
    "col.outcome": {"en": "Decision", "es": "Decisión"},
    "col.partner": {"en": "Partner", "es": "Socio"},
    "col.permits": {"en": "Permits", "es": "Permite"},
    "col.prohibits": {"en": "Prohibits", "es": "Prohíbe"},
    "col.protections": {"en": "Guarantees", "es": "Garantías"},
    "col.purpose": {"en": "Purpose", "es": "Propósito"},
    "col.reason": {"en": "Why it is held", "es": "Por qué se retiene"},
    "col.release": {"en": "Release", "es": "Entrega"},
    "col.reported_by": {"en": "Reported by", "es": "Informado por"},
    "col.request": {"en": "Request", "es": "Solicitud"},
    "col.requested": {"en": "Requested", "es": "Solicitada"},
    "col.scope": {"en": "Scope", "es": "Alcance"},
    "col.sharing": {"en": "Sharing", "es": "Intercambio"},
    "col.state": {"en": "State", "es": "Estado"},
    "col.undertaking": {"en": "Undertaking", "es": "Compromiso"},
    "col.delivery": {"en": "In the partner's feed", "es": "En el canal del socio"},
    "delivery.available": {"en": "not yet fetched", "es": "aún no recogido"},
    "delivery.withheld": {"en": "withheld by an order", "es": "retenido por una orden"},
    "delivery.delivered": {"en": "delivered", "es": "recogido"},
    "delivery.recalled": {"en": "recalled after delivery", "es": "retirado tras la entrega"},
    "delivery.withdrawn": {"en": "recalled before delivery", "es": "retirado antes de la entrega"},
    "col.undertakings": {"en": "Active undertakings", "es": "Compromisos activos"},
    "col.until": {"en": "Until", "es": "Hasta"},
    "col.valid": {"en": "Valid", "es": "Vigencia"},
    "col.version": {"en": "Version", "es": "Versión"},
    "col.why": {"en": "Why", "es": "Por qué"},
    # -- partners ----------------------------------------------------------------------
    "partners.title": {"en": "Partners", "es": "Socios"},
    "partners.intro": {
        "en": "Whether sharing with each agency is open, conditional, held or suspended at {at}, "
        "and the orders that decide it.",
        "es": "Si el intercambio con cada agencia está abierto, condicionado, retenido o "
        "suspendido a las {at}, y las órdenes que lo deciden.",
    },
    "partners.summary": {"en": "Partners by sharing level", "es": "Socios por nivel"},
    "partners.caption": {
        "en": "Sharing with each partner now",
        "es": "Intercambio con cada socio ahora",
    },
    "partners.domestic": {"en": "domestic", "es": "nacional"},
    "partners.inactive": {"en": "inactive", "es": "inactiva"},
    "partners.no_order": {"en": "No order in force", "es": "Ninguna orden vigente"},
    "partners.automatic": {
        "en": "automatic, after a breach",
        "es": "automática, tras un incumplimiento",
    },
    "partners.by": {"en": "by {authority}", "es": "de {authority}"},
    "partners.only_categories": {
        "en": "only categories {values}",
        "es": "solo categorías {values}",
    },
    "partners.only_regions": {"en": "only regions {values}", "es": "solo regiones {values}"},
    "partners.while": {"en": "while {condition}", "es": "mientras {condition}"},
    "partners.requires": {"en": "requires:", "es": "exige:"},
    "partners.met_by": {"en": "met by {undertakings}", "es": "cumplido por {undertakings}"},
    "partners.not_met": {
        "en": "no undertaking meets it: held",
        "es": "ningún compromiso lo cumple: retenido",
    },
    "partners.exempted": {
        "en": "exempted by {order} for {where}",
        "es": "eximido por {order} para {where}",
    },
    "partners.no_undertaking": {
        "en": "none: requests are denied",
        "es": "ninguno: se deniegan las solicitudes",
    },
    "partners.not_needed": {"en": "not needed", "es": "no se requiere"},
    "partners.conditions": {"en": "Conditions", "es": "Condiciones"},
    "partners.legend": {"en": "What the levels mean", "es": "Qué significa cada nivel"},
    "partners.self_title": {"en": "Your agency", "es": "Su agencia"},
    "partners.self_note": {
        "en": "Partners see their own record and undertakings; orders are internal.",
        "es": "Los socios ven su propio registro y compromisos; las órdenes son internas.",
    },
    "partners.key": {"en": "Public key", "es": "Clave pública"},
    "partners.none": {"en": "None.", "es": "Ninguno."},
    # -- recalls awaiting acknowledgement (issue 21) -------------------------------------
    "recalls.title": {"en": "Unacknowledged recalls", "es": "Retiradas sin acuse"},
    "recalls.link": {
        "en": "Recalls awaiting acknowledgement",
        "es": "Retiradas pendientes de acuse",
    },
    "recalls.intro": {
        "en": "Recalled releases whose partner has not yet acknowledged the recall, oldest "
        "first, at {at}. A partner past the deadline is held until an authority lifts it.",
        "es": "Entregas retiradas cuyo socio aún no ha acusado la retirada, de la más antigua "
        "a la más reciente, a las {at}. Un socio que pasa el plazo queda retenido hasta que "
        "una autoridad lo levante.",
    },
    "recalls.caption": {"en": "Recalls awaiting acknowledgement", "es": "Retiradas sin acuse"},
    "recalls.recalled_at": {"en": "Recalled", "es": "Retirada"},
    "recalls.age": {"en": "Age", "es": "Antigüedad"},
    "recalls.deadline": {"en": "Deadline", "es": "Plazo"},
    "recalls.overdue": {"en": "overdue", "es": "vencido"},
    "recalls.overdue_count": {
        "en": "{count} past the deadline: the partner is held.",
        "es": "{count} con el plazo vencido: el socio queda retenido.",
    },
    "recalls.no_deadline": {"en": "no deadline", "es": "sin plazo"},
    "recalls.never_delivered": {"en": "never delivered", "es": "nunca entregada"},
    "recalls.none": {
        "en": "Every recall has been acknowledged.",
        "es": "Todas las retiradas han sido acusadas.",
    },
    "partners.automatic_recall": {
        "en": "automatic, after a recall not acknowledged in time",
        "es": "automática, tras una retirada no acusada a tiempo",
    },
    "recalls.ack_within": {
        "en": "Recalls acknowledged within",
        "es": "Acuse de retiradas en",
    },
    "recalls.help": {
        "en": "An acknowledgement that comes after the hold does not lift it: an authority does.",
        "es": "Un acuse que llega después de la retención no la levanta: lo hace una autoridad.",
    },
    # -- orders ------------------------------------------------------------------------
    "orders.title": {"en": "Orders", "es": "Órdenes"},
    "orders.intro": {
        "en": "Every order, from when it took effect to its lift or end. Now is {at}.",
        "es": "Todas las órdenes, desde que rigen hasta que se levantan o vencen. Ahora: {at}.",
    },
    "orders.issue_new": {"en": "Issue an order", "es": "Emitir una orden"},
    "orders.timeline": {
        "en": "Orders on a timeline, {start} to {end}",
        "es": "Órdenes en el tiempo, de {start} a {end}",
    },
    "orders.bar": {
        "en": "{order}, {effect}, from {start} to {end}",
        "es": "{order}, {effect}, de {start} a {end}",
    },
    "orders.open_end": {"en": "until lifted", "es": "hasta que se levante"},
    "orders.now": {"en": "now", "es": "ahora"},
    "orders.amendment": {"en": "latest amendment", "es": "última modificación"},
    "orders.amended_at": {"en": "amended {at}", "es": "modificada {at}"},
    "orders.lifted_at": {"en": "lifted {at}", "es": "levantada {at}"},
    "orders.lifted": {"en": "Lifted", "es": "Levantada"},
    "orders.caption": {"en": "All orders, in issue order", "es": "Todas las órdenes, por emisión"},
    "orders.exempts": {"en": "Exempts from", "es": "Exime de"},
    "orders.none": {"en": "No orders.", "es": "No hay órdenes."},
    "orders.amend": {"en": "Amend this order", "es": "Modificar esta orden"},
    "orders.amend_help": {
        "en": "The form shows the order as it stands; what you change becomes its next signed "
        "version.",
        "es": "El formulario muestra la orden como está; lo que cambie será su siguiente versión "
        "firmada.",
    },
    "orders.lift": {"en": "Lift this order", "es": "Levantar esta orden"},
    # -- order forms -------------------------------------------------------------------
    "form.issue_intro": {
        "en": "You issue as authority {authority}. Preview first: you will see what the order "
        "would change and the statement to sign.",
        "es": "Emite como autoridad {authority}. Primero la vista previa: verá qué cambiaría la "
        "orden y la declaración que debe firmar.",
    },
    "form.id": {"en": "Order id (optional)", "es": "Id de la orden (opcional)"},
    "form.id_help": {
        "en": "Lower-case letters, digits and hyphens; left empty, one is assigned.",
        "es": "Minúsculas, dígitos y guiones; si se deja vacío, se asigna uno.",
    },
    "form.effect": {"en": "Effect", "es": "Efecto"},
    "form.effect_help": {
        "en": "deny refuses; hold keeps requests waiting; require waits for an undertaking with "
        "clauses; exempt carves its scope out of other orders.",
        "es": "denegar rechaza; retener deja las solicitudes en espera; exigir espera un "
        "compromiso con cláusulas; eximir excluye su alcance de otras órdenes.",
    },
    "form.scope": {"en": "Scope", "es": "Alcance"},
    "form.scope_help": {
        "en": "Tick nothing in a group to mean any value of it.",
        "es": "No marcar nada en un grupo significa cualquier valor.",
    },
    "form.everything": {
        "en": "Applies to every partner and item",
        "es": "Se aplica a todos los socios y elementos",
    },
    "form.everything_help": {
        "en": "Tick this, and nothing above, for an order that holds the whole of sharing; an "
        "order with nothing ticked is refused without it.",
        "es": "Marque esto, y nada más arriba, para una orden que abarca todo el intercambio; "
        "sin ello se rechaza una orden sin nada marcado.",
    },
    "form.everything_required": {
        "en": "tick the agencies, countries, categories or regions the order speaks to, or "
        "tick “Applies to every partner and item”",
        "es": "marque las agencias, países, categorías o regiones a las que se refiere la "
        "orden, o marque “Se aplica a todos los socios y elementos”",
    },
    "form.everything_conflict": {
        "en": "untick “Applies to every partner and item”, or untick the scope above",
        "es": "desmarque “Se aplica a todos los socios y elementos”, o desmarque el alcance",
    },
    "form.requires": {"en": "Required clauses", "es": "Cláusulas exigidas"},
    "form.requires_help": {
        "en": "Only for require orders: the clauses the recipient's undertaking must have.",
        "es": "Solo para órdenes de exigencia: las cláusulas que debe tener el compromiso del "
        "receptor.",
    },
    "form.exempts": {"en": "Orders to exempt from", "es": "Órdenes de las que eximir"},
    "form.exempts_help": {
        "en": "Only for exempt orders: inside this order's scope, these orders do not apply.",
        "es": "Solo para órdenes de exención: dentro de este alcance, esas órdenes no aplican.",
    },
    "form.valid_until": {"en": "Until (UTC, optional)", "es": "Hasta (UTC, opcional)"},
    "form.valid_until_help": {
        "en": "Leave empty for an order in force until it is lifted.",
        "es": "Déjelo vacío para una orden vigente hasta que se levante.",
    },
    "form.while_condition": {"en": "In force while", "es": "Vigente mientras"},
    "form.no_condition": {"en": "always (no condition)", "es": "siempre (sin condición)"},
    "form.reason": {"en": "Reason", "es": "Motivo"},
    "form.reason_help": {
        "en": "Quote the instruction; it is signed and logged.",
        "es": "Cite la instrucción; se firma y queda registrada.",
    },
    "form.days": {"en": "Simulate over the last days", "es": "Simular sobre los últimos días"},
    "form.days_help": {
        "en": "Requests of this many days are decided again with the order, without storing "
        "anything.",
        "es": "Las solicitudes de estos días se deciden de nuevo con la orden, sin guardar nada.",
    },
    "form.preview": {"en": "Preview and simulate", "es": "Vista previa y simulación"},
    "form.preview_amend": {"en": "Preview the amendment", "es": "Vista previa de la modificación"},
    "form.preview_lift": {"en": "Preview the lift", "es": "Vista previa del levantamiento"},
    "form.lift_reason": {"en": "Why it is lifted", "es": "Por qué se levanta"},
    # -- preview -----------------------------------------------------------------------
    "preview.issue": {"en": "Issue order", "es": "Emitir la orden"},
    "preview.amend": {"en": "Amend order", "es": "Modificar la orden"},
    "preview.lift": {"en": "Lift order", "es": "Levantar la orden"},
    "preview.simulation": {"en": "What it would change", "es": "Qué cambiaría"},
    "preview.simulation_intro": {
        "en": "The requests made from {start} to {end}, decided now with and without it.",
        "es": "Las solicitudes hechas de {start} a {end}, decididas ahora con y sin ella.",
    },
    "preview.simulation_intro_amend": {
        "en": "The requests made from {start} to {end}, decided now with the order as it stands "
        "and with the amended version.",
        "es": "Las solicitudes hechas de {start} a {end}, decididas ahora con la orden tal como "
        "está y con la versión modificada.",
    },
    "preview.simulation_past": {
        "en": "These are past requests, replayed without storing anything. What the change does "
        "now is on the next page: held requests decided again, and releases not yet delivered "
        "withheld or made available again.",
        "es": "Son solicitudes pasadas, repetidas sin guardar nada. Lo que el cambio hace ahora "
        "aparece en la página siguiente: solicitudes retenidas decididas de nuevo, y entregas "
        "aún no recibidas retenidas o disponibles de nuevo.",
    },
    "preview.scope_before": {"en": "Scope before", "es": "Alcance anterior"},
    "preview.scope_after": {"en": "Scope after", "es": "Alcance modificado"},
    "preview.scope_kept": {"en": "unchanged", "es": "sin cambios"},
    "preview.requests": {"en": "Requests in the period", "es": "Solicitudes del periodo"},
    "preview.in_scope": {"en": "In its scope", "es": "En su alcance"},
    "preview.reach": {
        "en": "Reaches: {partners} of {of_partners} partners; {agencies} of {of_agencies} "
        "agencies in all.",
        "es": "Alcanza: {partners} de {of_partners} socios; {agencies} de {of_agencies} "
        "agencias en total.",
    },
    "preview.reach_every": {"en": "Every partner.", "es": "Todos los socios."},
    "preview.changed": {
        "en": "Past requests it would have decided differently",
        "es": "Solicitudes pasadas que habría decidido de otro modo",
    },
    "preview.by_partner": {"en": "Changes by partner", "es": "Cambios por socio"},
    "preview.change": {"en": "Change", "es": "Cambio"},
    "preview.no_change": {
        "en": "No decision in the period would change.",
        "es": "Ninguna decisión del periodo cambiaría.",
    },
    "preview.statement": {"en": "Statement to sign", "es": "Declaración a firmar"},
    "preview.statement_help": {
        "en": "The canonical JSON (RFC 8785) below is what is signed and logged, byte for byte.",
        "es": "El JSON canónico (RFC 8785) de abajo es lo que se firma y registra, byte a byte.",
    },
    "preview.key_file": {"en": "Your Ed25519 key (PEM)", "es": "Su clave Ed25519 (PEM)"},
    "preview.key_file_help": {
        "en": "Read and used only in this browser; it is never sent.",
        "es": "Se lee y se usa solo en este navegador; nunca se envía.",
    },
    "preview.sign": {"en": "Sign the statement here", "es": "Firmar la declaración aquí"},
    "preview.signed": {
        "en": "Signed in this browser; the signature is filled in below.",
        "es": "Firmada en este navegador; la firma está abajo.",
    },
    "preview.signature": {"en": "Signature (base64)", "es": "Firma (base64)"},
    "preview.signature_help": {
        "en": "Your authority has a registered key, so the statement must be signed. Sign it "
        "here with your key file, or save the statement without a final newline as "
        "statement.json and paste the output of:",
        "es": "Su autoridad tiene una clave registrada, así que la declaración debe firmarse. "
        "Fírmela aquí con su archivo de clave, o guárdela sin salto de línea final como "
        "statement.json y pegue la salida de:",
    },
    "preview.unsigned": {
        "en": "Your authority has no registered key: the order is recorded unsigned.",
        "es": "Su autoridad no tiene clave registrada: la orden se registra sin firma.",
    },
    "preview.confirm_issue": {"en": "Issue the order", "es": "Emitir la orden"},
    "preview.confirm_amend": {"en": "Amend the order", "es": "Modificar la orden"},
    "preview.confirm_lift": {"en": "Lift the order", "es": "Levantar la orden"},
    "preview.back": {"en": "Back to the form", "es": "Volver al formulario"},
    "done.issued": {"en": "Order {order} issued", "es": "Orden {order} emitida"},
    "done.amended": {"en": "Order {order} amended", "es": "Orden {order} modificada"},
    "done.lifted": {"en": "Order {order} lifted", "es": "Orden {order} levantada"},
    "done.audit": {
        "en": "The change and every decision it moved are in the audit log.",
        "es": "El cambio y cada decisión que movió están en el registro de auditoría.",
    },
    "done.moved": {
        "en": "Held requests decided again: {count}",
        "es": "Solicitudes retenidas decididas de nuevo: {count}",
    },
    "done.moved_caption": {"en": "Requests it moved", "es": "Solicitudes que movió"},
    "done.none_moved": {
        "en": "No held request was in its scope.",
        "es": "Ninguna solicitud retenida estaba en su alcance.",
    },
    "done.now": {"en": "What changed now", "es": "Qué cambió ahora"},
    "done.now_intro": {
        "en": "What this change did when it was recorded: held requests decided again, and "
        "releases not yet delivered that partners' feeds now withhold or offer again. The "
        "preview's simulation replayed the past requests of a period instead, so it can count "
        "requests that are not here (already delivered, or decided before).",
        "es": "Lo que este cambio hizo al registrarse: solicitudes retenidas decididas de nuevo, "
        "y entregas aún no recibidas que los canales de los socios ahora retienen o vuelven a "
        "ofrecer. La simulación de la vista previa repetía en cambio las solicitudes pasadas de "
        "un periodo, así que puede contar solicitudes que aquí no están (ya recibidas, o "
        "decididas antes).",
    },
    "done.withheld": {
        "en": "Releases now withheld from partners' feeds: {count}",
        "es": "Entregas ahora retenidas en los canales de los socios: {count}",
    },
    "done.withheld_caption": {
        "en": "Releases not yet delivered that it withholds",
        "es": "Entregas aún no recibidas que retiene",
    },
    "done.none_withheld": {
        "en": "No release waiting for delivery is withheld by it.",
        "es": "No retiene ninguna entrega pendiente de recibir.",
    },
    "done.available": {
        "en": "Releases made available again: {count}",
        "es": "Entregas disponibles de nuevo: {count}",
    },
    "done.available_caption": {
        "en": "Releases not yet delivered that it lets through again",
        "es": "Entregas aún no recibidas que vuelve a dejar pasar",
    },
    "done.none_available": {
        "en": "No withheld release is made available by it.",
        "es": "No vuelve a dejar disponible ninguna entrega retenida.",
    },
    "done.see_order": {"en": "See the order", "es": "Ver la orden"},
    # -- held queue --------------------------------------------------------------------
    # -- sources (srcsec) --------------------------------------------------------------
    "nav.sources": {"en": "Sources", "es": "Fuentes"},
    "sources.title": {"en": "Sources", "es": "Fuentes"},
    "sources.intro": {
        "en": "Where items come from, and how their pulls go, as of {at}. The server pulls "
        "each source on its schedule; a pull asked for here is done next, off this page.",
        "es": "De dónde vienen los elementos y cómo van sus descargas, a {at}. El servidor "
        "descarga cada fuente según su calendario; una descarga pedida aquí se hace a "
        "continuación, fuera de esta página.",
    },
    "sources.caption": {"en": "Sources: {count}", "es": "Fuentes: {count}"},
    "sources.empty": {"en": "No source has been added.", "es": "No se ha añadido ninguna fuente."},
    "sources.collection": {"en": "collection {collection}", "es": "colección {collection}"},
    "sources.state.active": {"en": "active", "es": "activa"},
    "sources.state.paused": {"en": "paused", "es": "en pausa"},
    "sources.pending": {"en": "pull asked for at {at}", "es": "descarga pedida a las {at}"},
    "sources.never": {"en": "never", "es": "nunca"},
    "sources.pull_button": {"en": "Pull now", "es": "Descargar ahora"},
    "sources.pull_label": {"en": "Pull {source} now", "es": "Descargar {source} ahora"},
    "sources.pull_asked": {
        "en": "A pull of {source} was asked for: the server does it next. Reload this page to "
        "see how it went.",
        "es": "Se pidió una descarga de {source}: el servidor la hace a continuación. Recargue "
        "esta página para ver cómo fue.",
    },
    "col.location": {"en": "Location", "es": "Ubicación"},
    "col.last_success": {"en": "Last success", "es": "Último éxito"},
    "col.last_error": {"en": "Last error", "es": "Último error"},
    "col.lag": {"en": "Lag", "es": "Retraso"},
    "col.items_taken": {"en": "Items taken", "es": "Elementos tomados"},
    "col.action": {"en": "Action", "es": "Acción"},
    "held.title": {"en": "Held queue", "es": "Cola retenida"},
    "held.intro": {
        "en": "Requests held, oldest first, each with why and for how long (as of {at}). They "
        "are decided again whenever an order, condition or undertaking changes.",
        "es": "Solicitudes retenidas, la más antigua primero, con el motivo y el tiempo (a las "
        "{at}). Se deciden de nuevo cuando cambia una orden, condición o compromiso.",
    },
    "held.caption": {"en": "Held requests on this page: {count}", "es": "Retenidas aquí: {count}"},
    "held.empty": {"en": "Nothing is held.", "es": "No hay nada retenido."},
    # -- releases ----------------------------------------------------------------------
    "releases.title": {"en": "Releases and outcomes", "es": "Entregas y resultados"},
    "releases.all_partners": {"en": "All partners", "es": "Todos los socios"},
    "releases.all_outcomes": {"en": "All decisions", "es": "Todas las decisiones"},
    "releases.filter": {"en": "Show", "es": "Mostrar"},
    "releases.summary": {"en": "Per partner, all time", "es": "Por socio, todo el periodo"},
    "releases.held_then_released": {
        "en": "Held, then released",
        "es": "Retenidas y luego autorizadas",
    },
    "releases.mean_hours": {"en": "Mean hours held", "es": "Horas medias retenidas"},
    "releases.outcomes": {"en": "Outcomes", "es": "Resultados"},
    "releases.breaches": {"en": "Breaches", "es": "Incumplimientos"},
    "releases.partner_intro": {
        "en": "What has been released to {agency}, and the outcomes reported for it.",
        "es": "Lo autorizado para {agency} y los resultados informados.",
    },
    "releases.requests": {"en": "Release requests", "es": "Solicitudes de entrega"},
    "releases.none": {"en": "No requests.", "es": "No hay solicitudes."},
    "releases.reported": {"en": "Reported outcomes", "es": "Resultados informados"},
    "releases.no_outcomes": {"en": "No outcomes reported.", "es": "No hay resultados."},
    "releases.persons": {"en": "{n} persons", "es": "{n} personas"},
    "releases.casualties": {"en": "{n} casualties", "es": "{n} víctimas"},
    "releases.breach_yes": {"en": "breach", "es": "incumplimiento"},
    "releases.breach_no": {"en": "compliant", "es": "conforme"},
    "releases.signed": {"en": "signed", "es": "firmado"},
    # -- audit log ---------------------------------------------------------------------
    "audit.title": {"en": "Audit log", "es": "Registro de auditoría"},
    "audit.intro": {
        "en": "Every decision, order, undertaking and delivery is an entry in a Merkle tree "
        "(RFC 9162). The log signs checkpoints; anyone with its public key can check them.",
        "es": "Cada decisión, orden, compromiso y entrega es una entrada de un árbol de Merkle "
        "(RFC 9162). El registro firma puntos de control; cualquiera con su clave pública puede "
        "comprobarlos.",
    },
    "audit.checkpoint": {"en": "Latest checkpoint", "es": "Último punto de control"},
    "audit.size": {"en": "Tree size", "es": "Tamaño del árbol"},
    "audit.root": {"en": "Root hash", "es": "Hash raíz"},
    "audit.published": {"en": "Published", "es": "Publicado"},
    "audit.entries_now": {"en": "Entries now", "es": "Entradas ahora"},
    "audit.note": {"en": "Signed note", "es": "Nota firmada"},
    "audit.no_checkpoint": {
        "en": "No checkpoint has been published yet.",
        "es": "Aún no se ha publicado ningún punto de control.",
    },
    "audit.verify": {"en": "Verify in this browser", "es": "Verificar en este navegador"},
    "audit.verify_intro": {
        "en": "Your browser fetches the proofs and checks them itself: the checkpoint's "
        "Ed25519 signature, the entry's inclusion proof and a consistency proof from an older "
        "checkpoint. It trusts only the key below.",
        "es": "Su navegador obtiene las pruebas y las comprueba él mismo: la firma Ed25519 del "
        "punto de control, la prueba de inclusión de la entrada y una prueba de consistencia "
        "desde un punto anterior. Solo confía en la clave de abajo.",
    },
    "audit.replay": {"en": "Replay the whole log", "es": "Reproducir todo el registro"},
    "audit.replay_intro": {
        "en": "Verifying entries proves the log was only appended to. Replaying it proves "
        "more: it rebuilds the state from the entries alone, verifies every signature against "
        "the keys registered at that point, checks each act was entitled and decides every "
        "decision again. Run it on your own machine with the key you obtained out of band and "
        "an overseer token; it needs nothing from this server but its entries.",
        "es": "Verificar entradas prueba que al registro solo se le añadió. Reproducirlo prueba "
        "más: reconstruye el estado solo con las entradas, verifica cada firma con las claves "
        "registradas en ese momento, comprueba que cada acto estaba autorizado y vuelve a "
        "decidir cada decisión. Ejecútelo en su propia máquina con la clave obtenida por otra "
        "vía y un token de supervisor; de este servidor solo necesita sus entradas.",
    },
    "audit.key": {"en": "Log verifier key", "es": "Clave verificadora del registro"},
    "audit.key_help": {
        "en": "As the server reports it. Compare it with the key you obtained out of band, or "
        "paste that key here.",
        "es": "Tal como la informa el servidor. Compárela con la clave obtenida por otro canal, o "
        "pegue esa clave aquí.",
    },
    "audit.noscript": {
        "en": "Verification runs in JavaScript; use `garante audit verify --server` without it.",
        "es": "La verificación usa JavaScript; sin él, use `garante audit verify --server`.",
    },
    "audit.entry_index": {"en": "Entry index", "es": "Índice de la entrada"},
    "audit.entry_index_help": {
        "en": "From 0 to {last}, the entries this checkpoint covers.",
        "es": "De 0 a {last}, las entradas que cubre este punto de control.",
    },
    "audit.old_checkpoint": {
        "en": "Check consistency from",
        "es": "Comprobar la consistencia desde",
    },
    "audit.old_checkpoint_help": {
        "en": "The checkpoint this browser last verified, or an older published one.",
        "es": "El último punto que verificó este navegador, o uno publicado anterior.",
    },
    "audit.remembered": {
        "en": "the checkpoint this browser saw last",
        "es": "el último punto que vio este navegador",
    },
    "audit.verify_button": {
        "en": "Verify entry and checkpoint",
        "es": "Verificar entrada y punto de control",
    },
    "audit.verify_checkpoint_button": {
        "en": "Verify the checkpoint's signature",
        "es": "Verificar la firma del punto de control",
    },
    "audit.entries": {
        "en": "Entries {start} to {end} of {size}",
        "es": "Entradas {start} a {end} de {size}",
    },
    "audit.entries_caption": {
        "en": "Log entries, oldest first",
        "es": "Entradas del registro, de la más antigua a la más reciente",
    },
    "audit.leaf": {"en": "Leaf hash", "es": "Hash de hoja"},
    "audit.entry": {"en": "Entry", "es": "Entrada"},
    "audit.show_entry": {"en": "Show", "es": "Mostrar"},
    "audit.verify_this": {"en": "Verify", "es": "Verificar"},
    "audit.not_covered": {
        "en": "after the checkpoint",
        "es": "posterior al punto de control",
    },
    # -- charts ------------------------------------------------------------------------
    "charts.title": {"en": "Charts", "es": "Gráficos"},
    "charts.intro": {
        "en": "Release requests per partner per day, by the decision that stands for them now "
        "(a request held on one day and released later counts as released on the day it was "
        "made).",
        "es": "Solicitudes de entrega por socio y día, según la decisión vigente (una solicitud "
        "retenida un día y autorizada después cuenta como autorizada el día en que se hizo).",
    },
    "charts.partner_intro": {
        "en": "What has been released to your agency, per day.",
        "es": "Lo autorizado para su agencia, por día.",
    },
    "charts.days": {"en": "Period", "es": "Periodo"},
    "charts.last_days": {"en": "last {n} days", "es": "últimos {n} días"},
    "charts.show": {"en": "Show", "es": "Mostrar"},
    "charts.empty": {
        "en": "No requests in this period.",
        "es": "No hay solicitudes en este periodo.",
    },
    "charts.canvas_label": {
        "en": "Bar chart of requests to {partner} per day; the table below has the numbers.",
        "es": "Gráfico de barras de solicitudes a {partner} por día; la tabla de abajo tiene las "
        "cifras.",
    },
    "charts.table": {"en": "The numbers, as a table", "es": "Las cifras, en una tabla"},
    "charts.day": {"en": "Day", "es": "Día"},
    "charts.requests": {"en": "requests", "es": "solicitudes"},
    # -- items, and who each went to and why ------------------------------------------
    "nav.items": {"en": "Items", "es": "Elementos"},
    "items.title": {"en": "Items", "es": "Elementos"},
    "items.intro": {
        "en": "What the originator shares, with its marks, as of {at}. Open an item to see "
        "who it went to and why.",
        "es": "Lo que comparte el originador, con sus marcas, a {at}. Abra un elemento para "
        "ver a quién fue y por qué.",
    },
    "items.caption": {"en": "Items on this page: {count}", "es": "Elementos aquí: {count}"},
    "items.empty": {"en": "No items yet.", "es": "Aún no hay elementos."},
    "col.title": {"en": "Title", "es": "Título"},
    "col.category": {"en": "Category", "es": "Categoría"},
    "col.region": {"en": "Region", "es": "Región"},
    "col.tlp": {"en": "TLP", "es": "TLP"},
    "col.embargo_until": {"en": "Embargo until", "es": "Embargo hasta"},
    "col.expires_at": {"en": "Expires at", "es": "Caduca el"},
    "col.added": {"en": "Added", "es": "Añadido"},
    "col.originator": {"en": "Originator", "es": "Originador"},
    "col.releasable_to": {"en": "Releasable to", "es": "Entregable a"},
    "col.sha256": {"en": "Content SHA-256", "es": "SHA-256 del contenido"},
    "col.trigger": {"en": "Triggered by", "es": "Motivada por"},
    "col.state_version": {"en": "State version", "es": "Versión del estado"},
    "items.releasable_any": {
        "en": "any partner the rules allow (no releasability mark)",
        "es": "cualquier socio que permitan las reglas (sin marca de entregabilidad)",
    },
    "items.windows": {"en": "Embargo and expiry", "es": "Embargo y caducidad"},
    "items.no_windows": {"en": "No embargo, no expiry.", "es": "Sin embargo ni caducidad."},
    "items.embargoed": {"en": "Under embargo until {at}", "es": "Bajo embargo hasta {at}"},
    "items.embargo_ended": {"en": "Embargo ended at {at}", "es": "El embargo terminó el {at}"},
    "items.expired": {"en": "Expired at {at}", "es": "Caducó el {at}"},
    "items.expires": {"en": "Expires at {at}", "es": "Caduca el {at}"},
    "items.went": {"en": "Who it went to and why", "es": "A quién fue y por qué"},
    "items.went_intro": {
        "en": "Every release request for this item, with the decision that stands for it as "
        "of {at}: the rules that spoke, what triggered it, and where the release stands in "
        "the partner's feed.",
        "es": "Cada solicitud de entrega de este elemento, con la decisión vigente a {at}: "
        "las reglas que se pronunciaron, qué la motivó y dónde está la entrega en el canal "
        "del socio.",
    },
    "items.went_caption": {
        "en": "Requests for this item on this page: {count}",
        "es": "Solicitudes de este elemento aquí: {count}",
    },
    "items.no_requests": {
        "en": "No release of this item has been requested.",
        "es": "No se ha solicitado ninguna entrega de este elemento.",
    },
    "items.trigger_request": {"en": "the request itself", "es": "la propia solicitud"},
    "items.decisions_link": {"en": "every decision", "es": "todas las decisiones"},
    "items.agreement": {
        "en": "started by agreement {agreement}",
        "es": "iniciada por el acuerdo {agreement}",
    },
    "release.title": {"en": "Request {id}", "es": "Solicitud {id}"},
    "release.decisions": {
        "en": "Every decision taken on this request, oldest first: {count}",
        "es": "Cada decisión tomada sobre esta solicitud, de la más antigua: {count}",
    },
    "fault.item.not_found": {
        "en": "There is no item “{name}”.",
        "es": "No existe el elemento “{name}”.",
    },
    "fault.request.not_found": {
        "en": "There is no such release request.",
        "es": "No existe esa solicitud de entrega.",
    },
    # -- standing agreements: each partner's, an agreement's page, the liaison's forms ----
    "nav.agreements": {"en": "Agreements", "es": "Acuerdos"},
    "agreements.title": {"en": "Standing agreements", "es": "Acuerdos permanentes"},
    "agreements.intro": {
        "en": "Each partner's standing requests, and where each stands as of {at}. An agreement "
        "in force starts a release request for every item its scope covers when the item is "
        "added; each request is decided like one made by hand.",
        "es": "Las solicitudes permanentes de cada socio y su estado a {at}. Un acuerdo vigente "
        "inicia una solicitud de entrega por cada elemento que cubre su alcance cuando se "
        "añade; cada solicitud se decide como una hecha a mano.",
    },
    "agreements.intro_partner": {
        "en": "Your agency's standing agreements, and where each stands as of {at}.",
        "es": "Los acuerdos permanentes de su agencia y su estado a {at}.",
    },
    "agreements.caption": {
        "en": "Agreements on this page: {count}",
        "es": "Acuerdos en esta página: {count}",
    },
    "agreements.empty": {"en": "No agreements.", "es": "No hay acuerdos."},
    "agreements.own": {"en": "Its standing agreements", "es": "Sus acuerdos permanentes"},
    "agreements.own_help": {
        "en": "What your agency receives without asking each time, on the terms shown.",
        "es": "Lo que su agencia recibe sin pedirlo cada vez, en los términos indicados.",
    },
    "agreement.active": {"en": "in force", "es": "vigente"},
    "agreement.pending": {"en": "not yet valid", "es": "aún no vigente"},
    "agreement.suspended": {"en": "suspended", "es": "suspendido"},
    "agreement.expired": {"en": "expired", "es": "vencido"},
    "agreement.ended": {"en": "ended", "es": "terminado"},
    "agreement.title": {"en": "Agreement {id}", "es": "Acuerdo {id}"},
    "agreement.categories": {"en": "Categories", "es": "Categorías"},
    "agreement.regions": {"en": "Regions", "es": "Regiones"},
    "agreement.originators": {"en": "Originators", "es": "Originadores"},
    "agreement.any": {"en": "any", "es": "cualquiera"},
    "agreement.up_to": {"en": "up to {tlp}", "es": "hasta {tlp}"},
    "agreement.open_end": {"en": "no end", "es": "sin fin"},
    "agreement.countersigned": {
        "en": "Countersigned by the partner",
        "es": "Refrendado por el socio",
    },
    "agreement.countersigned_yes": {"en": "yes, this version", "es": "sí, esta versión"},
    "agreement.countersigned_no": {"en": "no", "es": "no"},
    "agreement.history": {"en": "History", "es": "Historial"},
    "agreement.history_made": {"en": "Made at {at} by {by}", "es": "Hecho el {at} por {by}"},
    "agreement.history_amended": {
        "en": "Last amended at {at}: now at version {version}",
        "es": "Modificado por última vez el {at}: ahora en la versión {version}",
    },
    "agreement.history_suspended": {"en": "Suspended at {at}", "es": "Suspendido el {at}"},
    "agreement.history_ended": {"en": "Ended at {at}", "es": "Terminado el {at}"},
    "agreement.last_reason": {"en": "Reason last given:", "es": "Último motivo dado:"},
    "agreement.history_help": {
        "en": "Every change, with its reason, is an entry in the audit log.",
        "es": "Cada cambio, con su motivo, es una entrada del registro de auditoría.",
    },
    "agreement.requests": {"en": "Requests it started", "es": "Solicitudes que inició"},
    "agreement.requests_caption": {
        "en": "Requests this agreement started, on this page: {count}",
        "es": "Solicitudes que inició este acuerdo, en esta página: {count}",
    },
    "agreement.requests_none": {
        "en": "This agreement has started no request yet.",
        "es": "Este acuerdo aún no ha iniciado ninguna solicitud.",
    },
    "agreement.new": {"en": "Make an agreement", "es": "Hacer un acuerdo"},
    "agreement.new_intro": {
        "en": "A partner's standing request: from when it is in force, every item added that "
        "its scope covers starts one release request per purpose. Nothing is stored until you "
        "confirm on the next page.",
        "es": "La solicitud permanente de un socio: desde que está vigente, cada elemento "
        "añadido que cubre su alcance inicia una solicitud de entrega por propósito. Nada se "
        "guarda hasta que confirme en la página siguiente.",
    },
    "agreement.form.id": {"en": "Agreement id (optional)", "es": "Id del acuerdo (opcional)"},
    "agreement.form.id_help": {
        "en": "Left empty, the next free one is given (dea-ag-1, dea-ag-2…).",
        "es": "Si se deja vacío se asigna el siguiente libre (dea-ag-1, dea-ag-2…).",
    },
    "agreement.form.choose_partner": {"en": "Choose a partner", "es": "Elija un socio"},
    "agreement.form.purposes": {"en": "Purposes", "es": "Propósitos"},
    "agreement.form.purposes_help": {
        "en": "One release request is started per purpose ticked: at least one.",
        "es": "Se inicia una solicitud de entrega por cada propósito marcado: al menos uno.",
    },
    "agreement.form.scope": {"en": "Items covered", "es": "Elementos cubiertos"},
    "agreement.form.scope_help": {
        "en": "Categories, regions or originators left unticked cover any.",
        "es": "Las categorías, regiones u originadores sin marcar cubren cualquiera.",
    },
    "agreement.form.originators": {"en": "Originators", "es": "Originadores"},
    "agreement.form.tlp_ceiling": {"en": "TLP ceiling", "es": "Techo TLP"},
    "agreement.form.tlp_help": {
        "en": "The most restricted marking it covers.",
        "es": "La marca más restringida que cubre.",
    },
    "agreement.form.valid_from": {"en": "From (UTC, optional)", "es": "Desde (UTC, opcional)"},
    "agreement.form.valid_from_help": {
        "en": "Left empty: from now.",
        "es": "Si se deja vacío: desde ahora.",
    },
    "agreement.form.valid_until": {"en": "Until (UTC, optional)", "es": "Hasta (UTC, opcional)"},
    "agreement.form.valid_until_help": {
        "en": "Left empty: until it is ended.",
        "es": "Si se deja vacío: hasta que se termine.",
    },
    "agreement.form.backfill_from": {
        "en": "Also for items added since (UTC, optional)",
        "es": "También para los elementos añadidos desde (UTC, opcional)",
    },
    "agreement.form.backfill_help": {
        "en": "Given, the preview shows how many items already added since then it covers and "
        "how each request would be decided; making it starts them.",
        "es": "Si se indica, la vista previa muestra cuántos elementos ya añadidos desde "
        "entonces cubre y cómo se decidiría cada solicitud; al hacerlo se inician.",
    },
    "agreement.form.preview": {"en": "Preview", "es": "Vista previa"},
    "agreement.form.reason": {"en": "Reason", "es": "Motivo"},
    "agreement.form.signature": {
        "en": "The partner's countersignature (optional, base64)",
        "es": "Refrendo del socio (opcional, base64)",
    },
    "agreement.form.signature_help": {
        "en": "The partner's Ed25519 signature of the statement above, if it gave one; it must "
        "verify against the partner's registered key.",
        "es": "La firma Ed25519 del socio sobre la declaración anterior, si la dio; debe "
        "verificarse con la clave registrada del socio.",
    },
    "agreement.preview": {"en": "Make agreement {id}?", "es": "¿Hacer el acuerdo {id}?"},
    "agreement.backfill": {"en": "Items already added", "es": "Elementos ya añadidos"},
    "agreement.backfill_intro": {
        "en": "Items added from {since} to now ({at}) that the agreement covers, and how the "
        "requests it would start for them would be decided now:",
        "es": "Elementos añadidos desde {since} hasta ahora ({at}) que cubre el acuerdo, y "
        "cómo se decidirían ahora las solicitudes que iniciaría para ellos:",
    },
    "agreement.backfill_items": {"en": "Items covered", "es": "Elementos cubiertos"},
    "agreement.backfill_requests": {
        "en": "Requests it would start",
        "es": "Solicitudes que iniciaría",
    },
    "agreement.backfill_already": {
        "en": "Already requested for this partner and purpose",
        "es": "Ya solicitadas para este socio y propósito",
    },
    "agreement.backfill_nothing_stored": {
        "en": "Nothing is stored until you confirm.",
        "es": "Nada se guarda hasta que confirme.",
    },
    "agreement.no_backfill": {
        "en": "Only items added from now on: no date was given for items already added.",
        "es": "Solo los elementos que se añadan desde ahora: no se indicó fecha para los ya "
        "añadidos.",
    },
    "agreement.statement": {"en": "The terms", "es": "Los términos"},
    "agreement.statement_help": {
        "en": "The statement the partner may countersign, exactly as logged.",
        "es": "La declaración que el socio puede refrendar, tal como se registra.",
    },
    "agreement.confirm": {"en": "Make the agreement", "es": "Hacer el acuerdo"},
    "agreement.back": {"en": "Back to the form", "es": "Volver al formulario"},
    "agreement.done.made": {"en": "Agreement {id} made", "es": "Acuerdo {id} hecho"},
    "agreement.done.amended": {"en": "Agreement {id} amended", "es": "Acuerdo {id} modificado"},
    "agreement.done.suspended": {
        "en": "Agreement {id} suspended",
        "es": "Acuerdo {id} suspendido",
    },
    "agreement.done.resumed": {"en": "Agreement {id} resumed", "es": "Acuerdo {id} reanudado"},
    "agreement.done.ended": {"en": "Agreement {id} ended", "es": "Acuerdo {id} terminado"},
    "agreement.started": {
        "en": "Requests it started: {count}",
        "es": "Solicitudes que inició: {count}",
    },
    "agreement.started_caption": {
        "en": "Each request started for an item already added, with its decision",
        "es": "Cada solicitud iniciada para un elemento ya añadido, con su decisión",
    },
    "agreement.started_none": {
        "en": "None: it covers items added from now on.",
        "es": "Ninguna: cubre los elementos que se añadan desde ahora.",
    },
    "agreement.see": {"en": "See the agreement", "es": "Ver el acuerdo"},
    "agreement.amend": {"en": "Amend", "es": "Modificar"},
    "agreement.amend_help": {
        "en": "The terms below replace the current ones as the next version; requests already "
        "started stand.",
        "es": "Los términos siguientes sustituyen a los actuales como la versión siguiente; "
        "las solicitudes ya iniciadas se mantienen.",
    },
    "agreement.amend_button": {"en": "Amend the agreement", "es": "Modificar el acuerdo"},
    "agreement.suspend": {"en": "Suspend", "es": "Suspender"},
    "agreement.suspend_help": {
        "en": "Until it is resumed, items added start nothing under it.",
        "es": "Hasta que se reanude, los elementos añadidos no inician nada bajo él.",
    },
    "agreement.suspend_button": {"en": "Suspend the agreement", "es": "Suspender el acuerdo"},
    "agreement.resume": {"en": "Resume", "es": "Reanudar"},
    "agreement.resume_help": {
        "en": "Items added from now on start requests again; those added while it was "
        "suspended do not.",
        "es": "Los elementos que se añadan desde ahora vuelven a iniciar solicitudes; los "
        "añadidos mientras estuvo suspendido no.",
    },
    "agreement.resume_button": {"en": "Resume the agreement", "es": "Reanudar el acuerdo"},
    "agreement.end": {"en": "End", "es": "Terminar"},
    "agreement.end_help": {
        "en": "For good: it starts nothing more and cannot change again. Requests it started "
        "stand.",
        "es": "Para siempre: no inicia nada más y ya no puede cambiar. Las solicitudes que "
        "inició se mantienen.",
    },
    "agreement.end_button": {"en": "End the agreement", "es": "Terminar el acuerdo"},
    # The agreement forms' errors (console/errors.py, ``form="agreement"``).
    "fault.agreement.not_found": {
        "en": "There is no agreement “{name}”.",
        "es": "No existe el acuerdo “{name}”.",
    },
    "fault.validation.invalid@agreement.reason": {
        "en": "Say why: the reason goes into the audit log.",
        "es": "Indique el motivo: queda en el registro de auditoría.",
    },
    "fault.validation.invalid@agreement.purposes": {
        "en": "Tick at least one purpose.",
        "es": "Marque al menos un propósito.",
    },
    "fault.validation.invalid@agreement.tlp_ceiling": {
        "en": "Choose one of the TLP markings offered.",
        "es": "Elija una de las marcas TLP ofrecidas.",
    },
    "fault.validation.invalid@agreement.valid_from": {
        "en": "“From” must be a date and time.",
        "es": "“Desde” debe ser una fecha y hora.",
    },
    "fault.validation.invalid@agreement.valid_until": {
        "en": "“Until” must be a date and time after “From”.",
        "es": "“Hasta” debe ser una fecha y hora posterior a “Desde”.",
    },
    "fault_hint.validation.invalid@agreement.valid_until": {
        "en": "give a later end, or none",
        "es": "indique un fin posterior, o ninguno",
    },
    "fault_hint.validation.invalid@agreement.backfill_from": {
        "en": "give a date in the past, or leave it empty to cover items added from now on",
        "es": "indique una fecha pasada, o déjela vacía para cubrir los elementos que se "
        "añadan desde ahora",
    },
    "fault.validation.invalid@agreement.backfill_from": {
        "en": "Items already added can be covered only from a date in the past, by an agreement "
        "in force now.",
        "es": "Los elementos ya añadidos solo se pueden cubrir desde una fecha pasada, con un "
        "acuerdo vigente ahora.",
    },
    "fault.validation.invalid@agreement.id": {
        "en": "That agreement id cannot be used.",
        "es": "Ese id de acuerdo no es válido.",
    },
    "fault_hint.validation.invalid@agreement.id": {
        "en": "use lower-case letters, digits, '.', '_' or '-', starting with a letter or "
        "digit; or leave it empty to have one assigned",
        "es": "use minúsculas, dígitos, '.', '_' o '-', empezando por una letra o un dígito; "
        "o déjelo vacío para que se asigne uno",
    },
    "fault.conflict.already_exists@agreement.id": {
        "en": "An agreement “{name}” already exists.",
        "es": "Ya existe un acuerdo “{name}”.",
    },
    "fault_hint.conflict.already_exists@agreement.id": {
        "en": "choose another id, or leave it empty to have one assigned",
        "es": "elija otro id, o déjelo vacío para que se asigne uno",
    },
    "fault.conflict.invalid_state@agreement.id": {
        "en": "Agreement “{name}” cannot change so: an ended agreement never changes, only a "
        "suspended one is resumed, and a suspended one is not suspended again.",
        "es": "El acuerdo “{name}” no puede cambiar así: un acuerdo terminado nunca cambia, "
        "solo uno suspendido se reanuda y uno suspendido no se suspende de nuevo.",
    },
    "fault_hint.signature@agreement": {
        "en": "the partner signs exactly the statement shown with its registered Ed25519 key; "
        "paste its signature in base64, or leave it empty",
        "es": "el socio firma exactamente la declaración mostrada con su clave Ed25519 "
        "registrada; pegue su firma en base64, o déjela vacía",
    },
    # Messages the in-browser verifier shows (static/audit.js).
    "js.working": {"en": "Verifying…", "es": "Verificando…"},
    "js.verified": {"en": "Verified", "es": "Verificado"},
    "js.failed": {"en": "Verification FAILED", "es": "La verificación FALLÓ"},
    "js.signature": {
        "en": "Checkpoint signed by {name} (Ed25519, {engine})",
        "es": "Punto de control firmado por {name} (Ed25519, {engine})",
    },
    "js.leaf": {
        "en": "Entry {index} hashes to the served leaf hash",
        "es": "La entrada {index} da el hash de hoja servido",
    },
    "js.inclusion": {
        "en": "Entry {index} is in the tree of size {size} (inclusion proof, {n} hashes)",
        "es": "La entrada {index} está en el árbol de tamaño {size} (prueba de inclusión, "
        "{n} hashes)",
    },
    "js.consistency": {
        "en": "The tree of size {new} extends the one of size {old} (consistency proof, "
        "{n} hashes)",
        "es": "El árbol de tamaño {new} extiende el de tamaño {old} (prueba de consistencia, "
        "{n} hashes)",
    },
    "js.same": {
        "en": "The tree of size {size} has the root this browser saw before (no fork)",
        "es": "El árbol de tamaño {size} tiene la raíz que este navegador vio antes (sin "
        "bifurcación)",
    },
    "js.no_old": {
        "en": "No older checkpoint to check consistency from yet",
        "es": "Aún no hay un punto anterior desde el que comprobar la consistencia",
    },
    "js.remembered": {
        "en": "This browser now remembers the checkpoint of size {size}",
        "es": "Este navegador recuerda ahora el punto de control de tamaño {size}",
    },
    # -- passkeys of authorities (WebAuthn) ----------------------------------------------
    "passkeys.title": {"en": "Passkeys and security keys", "es": "Llaves de acceso y de seguridad"},
    "passkeys.intro": {
        "en": "Your authority may sign orders with a passkey or a security key instead of its "
        "Ed25519 key file. The authenticator signs the SHA-256 of the statement shown, and the "
        "audit log keeps its signature, so an inspector verifies it as any other.",
        "es": "Su autoridad puede firmar órdenes con una llave de acceso o de seguridad en vez "
        "de su archivo de clave Ed25519. El autenticador firma el SHA-256 de la declaración "
        "mostrada y el registro de auditoría guarda su firma, que un inspector verifica como "
        "cualquier otra.",
    },
    "passkeys.list": {"en": "Registered", "es": "Registradas"},
    "passkeys.credential": {"en": "Credential", "es": "Credencial"},
    "passkeys.origin": {"en": "Console", "es": "Consola"},
    "passkeys.count": {"en": "Signatures counted", "es": "Firmas contadas"},
    "passkeys.created": {"en": "Registered", "es": "Registrada"},
    "passkeys.none": {
        "en": "Your authority has no passkey yet.",
        "es": "Su autoridad aún no tiene llave de acceso.",
    },
    "passkeys.new": {"en": "Register a passkey", "es": "Registrar una llave de acceso"},
    "passkeys.new_help": {
        "en": "Your browser asks the authenticator to make a key for this console ({origin}). "
        "You then sign the statement that registers it with the key your authority already has.",
        "es": "Su navegador pide al autenticador una clave para esta consola ({origin}). Después "
        "firma la declaración que la registra con la clave que su autoridad ya tiene.",
    },
    "passkeys.create": {"en": "Create a passkey", "es": "Crear una llave de acceso"},
    "passkeys.preview": {
        "en": "Register the new passkey",
        "es": "Registrar la nueva llave de acceso",
    },
    "passkeys.statement_help": {
        "en": "Registering a key is a change of keys: this statement is signed by the key your "
        "authority already has.",
        "es": "Registrar una clave es un cambio de claves: esta declaración la firma la clave "
        "que su autoridad ya tiene.",
    },
    "passkeys.first": {
        "en": "Your authority has no key yet: this passkey is its first, registered unsigned.",
        "es": "Su autoridad aún no tiene clave: esta llave es la primera y se registra sin firma.",
    },
    "passkeys.confirm": {"en": "Register the passkey", "es": "Registrar la llave"},
    "passkeys.registered": {
        "en": "Passkey {credential} registered.",
        "es": "Llave de acceso {credential} registrada.",
    },
    "passkeys.sign": {"en": "Sign with a passkey", "es": "Firmar con una llave de acceso"},
    "passkeys.sign_help": {
        "en": "Sign with one of your authority's passkeys or security keys: it signs the "
        "SHA-256 of the statement above, and the form is sent at once.",
        "es": "Firme con una de las llaves de acceso o de seguridad de su autoridad: firma el "
        "SHA-256 de la declaración de arriba y el formulario se envía enseguida.",
    },
    "passkeys.unavailable": {
        "en": "Passkeys cannot be registered here yet: the operator has not configured the "
        'address of this console for them (docs/deploy.md, "Orders signed with a passkey or '
        'security key").',
        "es": "Aún no se pueden registrar llaves de acceso aquí: el operador no ha configurado "
        'la dirección de esta consola para ellas (docs/deploy.md, "Orders signed with a '
        'passkey or security key").',
    },
    "passkeys.needs_script": {
        "en": "Passkeys need JavaScript in this page.",
        "es": "Las llaves de acceso necesitan JavaScript en esta página.",
    },
}


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> Lang:
    """The language asked for in the URL, else the remembered one, else the browser's."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return cast(Lang, choice)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return cast(Lang, code)
    return "en"


def translate(lang: Lang, key: str, **values: Any) -> str:
    """The message ``key`` in ``lang``; an unknown key shows itself, so a gap is visible."""
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[_E]
    return text.format(**values) if values else text


def messages(lang: Lang, prefix: str) -> dict[str, str]:
    """Every message under ``prefix`` (for scripts), keyed without it."""
    return {
        key.removeprefix(prefix): entry.get(lang) or entry[_E]
        for key, entry in CATALOGUE.items()
        if key.startswith(prefix)
    }
