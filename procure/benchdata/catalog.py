"""Reference data for ``seed-bench``: departments, people's names, vendor names, the
things an IT department buys (with typical prices), titles and comments.

Plain data; the generator draws from it with a seeded ``random.Random``."""

from __future__ import annotations

# fmt: off

# The organisation's departments, largest first (the generator weighs them so).
DEPARTMENTS = [
    ("IT", "Information Technology"),
    ("ENG", "Engineering"),
    ("DATA", "Data and Analytics"),
    ("SEC", "Information Security"),
    ("NET", "Networks"),
    ("OPS", "Operations"),
    ("HR", "Human Resources"),
    ("FIN", "Finance"),
    ("LEGAL", "Legal"),
    ("MKT", "Marketing"),
    ("SALES", "Sales"),
    ("SUP", "Customer Support"),
    ("RND", "Research and Development"),
    ("LAB", "Laboratories"),
    ("FAC", "Facilities"),
    ("PROC", "Procurement"),
    ("EXEC", "Executive Office"),
    ("COMMS", "Communications"),
    ("TRAIN", "Training"),
    ("QA", "Quality Assurance"),
    ("DES", "Design"),
    ("PMO", "Project Management Office"),
    ("BI", "Business Intelligence"),
    ("CLOUD", "Cloud Platform"),
    ("DEVOPS", "DevOps"),
    ("HELP", "Service Desk"),
    ("CRM", "CRM Team"),
    ("ERP", "ERP Team"),
    ("WEB", "Web"),
    ("MOB", "Mobile Apps"),
    ("INFRA", "Infrastructure"),
    ("DC", "Data Centre"),
    ("TEL", "Telephony"),
    ("AV", "Audio-Visual"),
    ("PRINT", "Print Services"),
    ("LOG", "Logistics"),
    ("MFG", "Manufacturing"),
    ("SCI", "Scientific Computing"),
    ("MED", "Medical Devices"),
    ("EDU", "Education"),
    ("LIB", "Library"),
    ("ARCH", "Enterprise Architecture"),
    ("AUDIT", "Internal Audit"),
    ("RISK", "Risk and Compliance"),
    ("TAX", "Tax"),
    ("TREAS", "Treasury"),
    ("PAY", "Payroll"),
    ("INS", "Insurance"),
    ("STRAT", "Strategy"),
    ("PART", "Partnerships"),
]

FIRST_NAMES = [
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Astrid", "Ben", "Bianca", "Carlos", "Chen", "Chloe",
    "Dan", "Daria", "David", "Elena", "Emeka", "Emma", "Erik", "Fatima", "Felix", "Grace", "Hana",
    "Hugo", "Ines", "Ivan", "Jack", "Jana", "Jin", "Jonas", "Julia", "Kai", "Kamala", "Kenji",
    "Lars", "Leila", "Liam", "Lina", "Lucas", "Maya", "Mei", "Mateo", "Nadia", "Nina", "Noah",
    "Olga", "Omar", "Paula", "Pedro", "Priya", "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq",
    "Tom", "Uma", "Victor", "Yara", "Zoe",
]

LAST_NAMES = [
    "Adeyemi", "Almeida", "Andersen", "Baker", "Becker", "Bianchi", "Brown", "Castro", "Chen",
    "Costa", "Dubois", "Dunn", "Eriksson", "Fischer", "Garcia", "Gomez", "Gupta", "Hart", "Haddad",
    "Hansen", "Ito", "Jensen", "Johnson", "Kim", "Kowalski", "Kumar", "Lee", "Lopez", "Martin",
    "Meyer", "Moreau", "Murphy", "Nakamura", "Natarajan", "Nguyen", "Novak", "Okafor", "Olsen",
    "Ortega", "Park", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith",
    "Sousa", "Suzuki", "Tanaka", "Taylor", "Torres", "Varga", "Wagner", "Walker", "Weber",
    "Williams", "Yamamoto", "Zhang",
]

# Vendor names: a prefix, a trade, a legal form.
VENDOR_PREFIXES = [
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Adatum", "Litware", "Proseware", "Wingtip",
    "Coho", "Woodgrove", "Alpine", "Blue Yonder", "Lucerne", "Trey", "Wide World", "Humongous",
    "Relecloud", "VanArsdel", "Southridge", "Bellows", "Consolidated", "Lamna", "Olympic",
    "Liberty", "Summit", "Pinnacle", "Redwood", "Granite", "Harbor", "Meridian", "Cascade",
    "Evergreen", "Silverline", "Bluewater", "Ironclad", "Keystone", "Northstar", "Oakridge",
    "Polaris", "Quantum", "Riverside", "Sterling", "Titan", "Vertex", "Zenith", "Atlas", "Beacon",
    "Crescent", "Delta", "Echo", "Falcon", "Horizon", "Juniper", "Kestrel", "Lighthouse", "Maple",
    "Nimbus", "Orchard", "Prairie", "Sequoia", "Tidewater", "Upland", "Willow", "Bright Path",
]

# Trade words, each with the categories a vendor of that trade supplies.
VENDOR_TRADES = [
    ("Computers", ["hardware", "peripherals"]),
    ("Hardware", ["hardware"]),
    ("Systems", ["hardware", "maintenance"]),
    ("Devices", ["hardware", "peripherals"]),
    ("Technologies", ["hardware", "software"]),
    ("Peripherals", ["peripherals"]),
    ("Office Tech", ["peripherals", "other"]),
    ("Software", ["software", "licence"]),
    ("Apps", ["software"]),
    ("Licensing", ["licence", "software"]),
    ("Cloud", ["cloud", "services"]),
    ("Hosting", ["cloud"]),
    ("Data Services", ["cloud", "services"]),
    ("IT Services", ["services", "maintenance"]),
    ("Consulting", ["services"]),
    ("Solutions", ["services", "software"]),
    ("Maintenance", ["maintenance"]),
    ("Support Services", ["maintenance", "services"]),
    ("Repair", ["maintenance", "hardware"]),
    ("Telecom", ["telecom"]),
    ("Networks", ["telecom", "hardware"]),
    ("Communications", ["telecom", "services"]),
    ("Supplies", ["other", "peripherals"]),
    ("Trading", ["other", "hardware"]),
    ("Security", ["software", "services"]),
]

VENDOR_FORMS = [
    "", " Ltd", " Inc", " LLC", " GmbH", " & Co", " Group", " Corp",
]

REGIONS = [
    "East", "West", "North", "South", "Pacific", "Atlantic", "Central", "Europe", "Nordic",
    "Iberia", "Benelux", "Alps", "Midlands", "Coastal", "Metro", "Valley",
]

CITIES = [
    ("San Francisco, CA 94105", "+1 415 555"),
    ("Seattle, WA 98101", "+1 206 555"),
    ("Austin, TX 78701", "+1 512 555"),
    ("New York, NY 10001", "+1 646 555"),
    ("Chicago, IL 60601", "+1 312 555"),
    ("Boston, MA 02110", "+1 617 555"),
    ("Denver, CO 80202", "+1 303 555"),
    ("Atlanta, GA 30303", "+1 404 555"),
    ("London EC1A 1BB", "+44 20 5550"),
    ("10117 Berlin", "+49 30 555"),
    ("75002 Paris", "+33 1 5550"),
    ("1011 Amsterdam", "+31 20 555"),
    ("Toronto, ON M5H 2N2", "+1 416 555"),
    ("Dublin D02 X285", "+353 1 555"),
]

STREETS = [
    "Market Street", "Harbour Way", "Woodgrove Park", "Main Street", "Industrial Road",
    "Station Road", "Commerce Drive", "Technology Park", "King Street", "Riverside Avenue",
]

CONTACT_TITLES = [
    "Account manager", "Sales engineer", "Enterprise sales", "Inside sales",
    "Licensing specialist", "Customer success manager", "Bid manager",
]

PAYMENT_TERMS = [
    "30 days net", "30 days net", "45 days net", "60 days net", "14 days net",
]

# category -> [(description, unit, typical unit price in cents, quantity (low, high))]
ITEMS = {
    "hardware": [
        ("ThinkPad T14 Gen 5, 32 GB", "each", 165000, (1, 12)),
        ("Dell Latitude 7450, 16 GB", "each", 145000, (1, 15)),
        ("MacBook Pro 14\", 36 GB", "each", 269900, (1, 6)),
        ("Rack server, 2U, dual CPU", "each", 980000, (1, 4)),
        ("48-port 10G switch", "each", 640000, (1, 2)),
        ("Wi-Fi 6E access point", "each", 42000, (2, 40)),
        ("Firewall appliance, HA pair", "each", 1850000, (1, 2)),
        ("NAS expansion shelf, 12x16 TB", "each", 890000, (1, 2)),
        ("UPS, 3 kVA rack-mount", "each", 190000, (1, 6)),
        ("Desktop workstation, 64 GB", "each", 310000, (1, 8)),
        ("NVMe SSD, 2 TB", "each", 16000, (2, 30)),
        ("Thin client", "each", 39000, (5, 60)),
        ("Storage array, 100 TB usable", "each", 7800000, (1, 1)),
        ("GPU server, 8 accelerators", "each", 24500000, (1, 2)),
    ],
    "peripherals": [
        ("27\" 4K monitor", "each", 38900, (1, 30)),
        ("USB-C docking station", "each", 28900, (1, 30)),
        ("Wireless keyboard and mouse set", "each", 5900, (5, 60)),
        ("Wireless headset", "each", 12900, (2, 40)),
        ("USB webcam, 1080p", "each", 7900, (2, 40)),
        ("Laptop backpack, 15\"", "each", 6500, (5, 50)),
        ("Privacy filter, 14\"", "each", 3900, (5, 50)),
        ("Label printer", "each", 21000, (1, 5)),
    ],
    "software": [
        ("JetBrains All Products Pack, annual", "seat", 28900, (1, 40)),
        ("Adobe Acrobat Pro, annual", "seat", 23900, (1, 50)),
        ("Visual Studio Professional, annual", "seat", 49900, (1, 20)),
        ("Figma Organization, annual", "seat", 54000, (1, 25)),
        ("Monitoring platform, host licence", "host", 18000, (5, 100)),
        ("Backup software, per socket", "socket", 95000, (2, 24)),
    ],
    "licence": [
        ("Microsoft 365 E3, annual", "seat", 43200, (3, 150)),
        ("Windows Server Datacenter, 16 cores", "each", 615500, (1, 10)),
        ("Database enterprise licence, per core", "core", 475000, (2, 16)),
        ("Virtualisation platform, per core", "core", 35000, (8, 128)),
        ("Endpoint protection, annual", "seat", 4500, (10, 400)),
    ],
    "cloud": [
        ("Compute reserved capacity", "month", 120000, (1, 12)),
        ("Object storage, 100 TB", "month", 80000, (1, 12)),
        ("Managed Kubernetes cluster", "month", 90000, (1, 12)),
        ("CDN traffic commitment", "month", 90000, (3, 12)),
        ("Support plan, business tier", "month", 60000, (1, 12)),
    ],
    "services": [
        ("Installation and configuration", "hour", 14500, (4, 80)),
        ("Network cabling, per drop", "drop", 18000, (4, 60)),
        ("Penetration test", "day", 140000, (3, 15)),
        ("Data migration", "hour", 16500, (8, 160)),
        ("On-site engineer", "day", 95000, (1, 20)),
        ("Training course", "attendee", 120000, (1, 12)),
    ],
    "maintenance": [
        ("Server hardware maintenance, 1 year", "each", 210000, (1, 10)),
        ("Network support contract, 1 year", "each", 480000, (1, 2)),
        ("Printer fleet service, 1 year", "each", 360000, (1, 1)),
        ("UPS battery replacement", "each", 65000, (1, 8)),
        ("Next-business-day laptop swap, 3 years", "each", 19000, (5, 60)),
    ],
    "telecom": [
        ("Business mobile plan, 12 months", "line", 36000, (1, 40)),
        ("SIP trunk channels", "channel", 2500, (10, 100)),
        ("Desk phone", "each", 18900, (2, 50)),
        ("Dedicated internet access, 1 Gb/s", "month", 120000, (1, 12)),
    ],
    "other": [
        ("Ergonomic office chair", "each", 45000, (1, 20)),
        ("Cable management kit", "each", 4500, (5, 50)),
        ("Secure disposal of old equipment", "each", 25000, (1, 5)),
        ("Conference room booking panel", "each", 69000, (1, 10)),
    ],
}

# How often each category leads a request (weights).
CATEGORY_WEIGHTS = {
    "hardware": 28,
    "peripherals": 22,
    "software": 12,
    "licence": 9,
    "cloud": 6,
    "services": 10,
    "maintenance": 5,
    "telecom": 4,
    "other": 4,
}

# A request's other lines often come from these categories, by its leading one.
COMPANIONS = {
    "hardware": ["hardware", "peripherals", "services", "maintenance"],
    "peripherals": ["peripherals", "hardware"],
    "software": ["software", "licence", "services"],
    "licence": ["licence", "software"],
    "cloud": ["cloud", "services"],
    "services": ["services", "maintenance"],
    "maintenance": ["maintenance", "services"],
    "telecom": ["telecom", "hardware", "services"],
    "other": ["other", "peripherals"],
}

TITLES = {
    "hardware": [
        "Laptops for new starters", "Laptop refresh", "Server refresh", "Network upgrade",
        "Lab equipment", "Replacement laptops", "Storage expansion", "Wi-Fi coverage",
        "Workstations for the design team", "Spare parts stock",
    ],
    "peripherals": [
        "Monitors for the support desk", "Docking stations for hot desks", "Headsets",
        "Keyboards and mice for the new floor", "Webcams for meeting rooms",
        "Peripherals for new starters",
    ],
    "software": [
        "Developer tools renewal", "Design tool seats", "PDF tools", "Monitoring licences",
        "Backup software",
    ],
    "licence": [
        "Microsoft 365 true-up", "Server licences", "Endpoint protection renewal",
        "Database licences", "Virtualisation licences",
    ],
    "cloud": [
        "Cloud capacity reservation", "Storage commitment", "Kubernetes platform",
        "CDN commitment", "Cloud support plan",
    ],
    "services": [
        "Installation services", "Security assessment", "Data migration project",
        "Cabling for the new floor", "Training for the team",
    ],
    "maintenance": [
        "Hardware maintenance renewal", "Network support renewal", "Printer fleet service",
        "UPS batteries", "Laptop swap service",
    ],
    "telecom": [
        "Mobile plans", "SIP trunk expansion", "Desk phones", "Internet line for the office",
    ],
    "other": ["Office chairs", "Equipment disposal", "Meeting room panels", "Cable management"],
}

TITLE_QUALIFIERS = [
    "", "", "", "", " (Q1)", " (Q2)", " (Q3)", " (Q4)", " for the new office",
    " for the Berlin site", " for the London site", " - phase 2", " - urgent",
]

JUSTIFICATIONS = [
    "", "", "Replaces equipment that is out of warranty.", "New starters join next month.",
    "The current contract ends this quarter.", "Needed for the project agreed in the annual plan.",
    "Current capacity is at 85% and growing.", "Required by the security review.",
    "The team has grown; the budget was agreed in the planning round.",
]

APPROVE_COMMENTS = [
    "", "", "", "", "Agreed.", "Fine.", "Approved.", "OK, within plan.",
]

FINANCE_COMMENTS = [
    "", "", "Within the plan.", "Budget confirmed.", "Approved.",
]

REJECT_COMMENTS = [
    "We have spare equipment in storage; please use it.", "Not in this year's plan.",
    "Please buy through the framework agreement instead.",
    "Too expensive for the benefit; let us discuss alternatives.",
    "Duplicate of an earlier request.",
]

RETURN_COMMENTS = [
    "Please split the request by site.", "Please add a justification.",
    "Please check the quantities with the team lead.",
    "Please attach the vendor's datasheet and correct the unit prices.",
]

CANCEL_COMMENTS = [
    "", "No longer needed.", "The project was postponed.", "Bought elsewhere.",
]

RFQ_NOTES = [
    "", "", "Please include delivery to the main office.", "Please quote with a 3-year warranty.",
    "Quotes must be valid for 60 days.",
]

RFQ_CANCEL_COMMENTS = [
    "The requirement changed; a new RFQ follows.", "No acceptable quotes.",
    "Sourced through the framework agreement.",
]

AWARD_JUSTIFICATIONS = [
    "Shorter lead time; the project cannot wait.",
    "Better warranty and a proven track record with us.",
    "The cheapest vendor failed to deliver on time last year.",
]

SINGLE_SOURCE = "Single source: only these vendors answered before the due date."

ORDER_CANCEL_COMMENTS = [
    "The vendor cannot deliver in time.", "Wrong configuration ordered; re-sourcing.",
    "The vendor withdrew its quote.",
]

ORDER_CLOSE_COMMENTS = [
    "", "Delivered and invoiced.", "Invoice matched.",
]

RECEIPT_NOTES = [
    "", "", "", "Rest back-ordered.", "Delivered to the loading dock.",
]

CONTRACT_TITLES = {
    "maintenance": ["Hardware maintenance", "Printer fleet maintenance", "UPS maintenance"],
    "support": ["Core network support", "Database support", "Storage support"],
    "licence": ["Enterprise licence agreement", "Server licences", "Design tool licences"],
    "subscription": ["Microsoft 365 subscription", "Monitoring SaaS", "Cloud backup service"],
    "service": ["Managed print service", "Service desk outsourcing", "Security operations"],
}

CONTRACT_TERMS_TEXT = [
    "Service hours Monday to Friday, 08:00-18:00.",
    "24x7 support with a named technical account manager.",
    "Prices fixed for the term; renewal at list price less 10%.",
]

TERMINATION_REASONS = [
    "Replaced by a consolidated contract.",
    "The service no longer meets the agreed response times.", "The equipment was decommissioned.",
]

# fmt: on
